"""Sluice run engine: the imperative shell around the pure core, shared by API and services.

- ``start_run`` / ``apply_command`` / ``complete_human_task``: advance runs in
  the caller's transaction (lock, skip applied command ids, call the core,
  persist every effect and the outbox rows, fence by ``seq``);
  ``apply_commands``: a whole polled batch of commands in a few statements;
  ``StartBatcher``: concurrent run starts committed together (group commit).
- ``route_event``: the one event-routing function.
- ``execute_fresh`` (the executor's fast path: transactional requests in one
  transaction, no job rows) / ``execute_job`` / ``execute_jobs`` (leased jobs) /
  ``ActionHandlers`` / ``ActionFailedError``: idempotent actions.
- ``control_run`` (``Cancel`` / ``Resume`` / ``Retry`` / ``Replay``) and ``cancel_task``:
  the operator controls, on the engine's paths and lock order.
- ``load_plugins``: ``WF_PLUGINS`` entry points or ``module:function``.
"""

from sluice_engine.applying import apply_command
from sluice_engine.batch import PendingCommand, apply_commands
from sluice_engine.context import EngineContext
from sluice_engine.controls import (
    Cancel,
    OperatorControl,
    Replay,
    Resume,
    Retry,
    cancel_task,
    control_run,
)
from sluice_engine.definitions import DefinitionCache
from sluice_engine.errors import (
    CommandRejectedError,
    EngineError,
    InvalidPayloadError,
    PauseStateError,
    PluginError,
    RunNotFoundError,
    RunStatusConflictError,
    TaskNotActiveError,
    UnknownWorkflowError,
    WaitClosedError,
)
from sluice_engine.executor import ExecutorConfig, execute_job
from sluice_engine.executor_batch import execute_fresh, execute_jobs, split_fast, transactional
from sluice_engine.handlers import (
    ActionCall,
    ActionFailedError,
    ActionFn,
    ActionHandlers,
    ActionMode,
    ActionServices,
    mode_of,
)
from sluice_engine.messages import command_message, command_of, new_command_id, request_of
from sluice_engine.plugins import ENTRY_POINT_GROUP, load_plugins
from sluice_engine.routing import RouteResult, route_event
from sluice_engine.runs import Applied, StartOptions, start_run
from sluice_engine.spans import command_span
from sluice_engine.start_batch import StartBatcher
from sluice_engine.tasks import cancel_inbox_task, complete_human_task, is_inbox_task

__all__ = [
    "ENTRY_POINT_GROUP",
    "ActionCall",
    "ActionFailedError",
    "ActionFn",
    "ActionHandlers",
    "ActionMode",
    "ActionServices",
    "Applied",
    "Cancel",
    "CommandRejectedError",
    "DefinitionCache",
    "EngineContext",
    "EngineError",
    "ExecutorConfig",
    "InvalidPayloadError",
    "OperatorControl",
    "PauseStateError",
    "PendingCommand",
    "PluginError",
    "Replay",
    "Resume",
    "Retry",
    "RouteResult",
    "RunNotFoundError",
    "RunStatusConflictError",
    "StartBatcher",
    "StartOptions",
    "TaskNotActiveError",
    "UnknownWorkflowError",
    "WaitClosedError",
    "apply_command",
    "apply_commands",
    "cancel_inbox_task",
    "cancel_task",
    "command_message",
    "command_of",
    "command_span",
    "complete_human_task",
    "control_run",
    "execute_fresh",
    "execute_job",
    "execute_jobs",
    "is_inbox_task",
    "load_plugins",
    "mode_of",
    "new_command_id",
    "request_of",
    "route_event",
    "split_fast",
    "start_run",
    "transactional",
]
