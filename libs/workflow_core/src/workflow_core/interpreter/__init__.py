"""The pure, deterministic interpreter of Sluice (SPEC sections 6 and 7).

Contract
--------
``advance(definition, state, command, *, registry, limits=DEFAULT_LIMITS) -> Transition``

- Sync and pure: no clock (time is ``command.now``), no global randomness
  (retry jitter comes from ``RunState.seed``), no I/O; inputs are not mutated.
- ``state`` is None only for ``StartRun``; any other command for a missing run
  raises ``NoRunError`` (a shell bug). Workflow-level failures never raise:
  a failing step is a recorded attempt, a retry wait, a caught error or a
  FAILED run. An exception from ``advance`` is a bug.
- ``Transition.state`` is the new RunState (status RUNNING, WAITING or final);
  ``Transition.effects`` are data for the shell to persist in one transaction,
  in order, with the state: ``RecordStepAttempt``, ``WriteSnapshot`` (redacted,
  capped), ``RegisterWait`` / ``ReleaseWait`` (human tasks are ``RegisterWait``
  with ``task`` set; task id = wait id), ``RequestAction``, ``StartChildRun``,
  ``CancelChildRun``, ``FinishRun``, ``AppendLog``. The run row's columns
  (status, node path, ``meta.state``) are read from ``Transition.state``.
- ``Transition.rejected`` (with ``violations``) refuses a command: only an
  invalid ``CompleteHumanTask`` output; state and effects are unchanged/empty.
- Stale or duplicate commands (a timer for a resolved wait, a second result
  for one request, anything after the run ended) change nothing and leave an
  ``AppendLog``; an action result arriving after cancel is logged, not acted on.
- Determinism: the same definition, registry, state and command give the same
  Transition; every id is derived from the run id, the step and the loop
  indexes, or from the state's sequence counter.

Commands: ``StartRun``, ``CompleteAction``, ``ResumeWait``, ``FireTimer``,
``CompleteHumanTask``, ``ChildRunFinished``, ``CancelRun``, ``RetryRun``
(operator retry of a FAILED run at its failed step, see ``retrying``),
``Continue`` (re-drive: re-sends a pending action request, otherwise a no-op).
All models dump camelCase with ``model_dump(mode="json")`` and load back with
``model_validate``; ``COMMAND_ADAPTER`` / ``EFFECT_ADAPTER`` parse the unions.

Before ``StartRun`` the shell checks the payload with ``payload_violations``
(an invalid payload means no run exists). A ``StartChildRun`` with
``workflow_version`` None is resolved by the shell to the latest published
version, which it records; the child's ``StartRun`` carries ``call_depth``.

Decisions where the SPEC is silent
----------------------------------
- An ActionError is retried only when the action marked it ``retryable``
  (the mark is authoritative); a TransientError when ``retryOn`` names it;
  Validation, Expression and Timeout errors never.
- Blocks get one attempt row each (STARTED, then SUCCEEDED/FAILED/CANCELED)
  spanning their body; node steps one row per attempt transition.
- A snapshot is written after every node step that ends (and at the end of
  the run), not after blocks.
- Payload fields marked ``x-sensitive`` in the payload schema (at start and
  whenever a step rewrites the payload) and ``action.call`` output fields
  marked ``x-sensitive`` in the action's output schema (under ``saveAs``) are
  appended to ``meta.redactions``, so every later snapshot masks them.
- ``control.return`` inside ``catch`` completes the catch: ``envelope.error``
  is cleared. Loop variables are restored however a loop ends.
- ``callWorkflow`` without ``inputMapping`` starts the child with ``{}``;
  the depth cap is a ValidationError ``CALL_DEPTH_EXCEEDED``.
- More than ``RunLimits.max_steps_per_command`` steps in one command fail the
  run (ValidationError ``STEP_LIMIT_EXCEEDED``, not catchable).
- A compute handler raising anything but ``StepFailedError`` fails its step
  with a non-retryable ActionError ``HANDLER_CRASHED``.
- Canceling a run parked on a retry timer records no CANCELED attempt (that
  attempt already ended RETRY_SCHEDULED).
- ``RetryRun`` puts back the cursor saved when the error started bubbling
  (``RunState.failure``; cleared when an error is caught), so the failed step
  runs its next attempt with the same idempotency keys; a retried
  ``callWorkflow`` starts a new child (its id includes the attempt). Blocks the
  error had closed FAILED are re-entered without a new STARTED row.
- ``control.forEach`` with ``concurrency`` > 1 runs its items as lanes (one
  cursor per item in flight, swapped in by ``lanes.py``); items are isolated
  and their writes merged in item order when the loop closes; tolerance
  (``toleratedFailureCount``/``Percentage``) as in Step Functions' Map. See
  ``blocks/for_each.py`` and the package README.
"""

from workflow_core.interpreter.advance import NoRunError, Transition, advance
from workflow_core.interpreter.commands import (
    COMMAND_ADAPTER,
    ActionFailure,
    Admission,
    BeginRun,
    CancelRun,
    ChildRunFinished,
    Command,
    CompleteAction,
    CompleteHumanTask,
    Continue,
    EventData,
    FireTimer,
    ResumeWait,
    RetryRun,
    StartRun,
)
from workflow_core.interpreter.context import DEFAULT_LIMITS, RunLimits
from workflow_core.interpreter.effects import (
    EFFECT_ADAPTER,
    EFFECTS_ADAPTER,
    AppendLog,
    AttemptStatus,
    CancelChildRun,
    Effect,
    FinalStatus,
    FinishRun,
    HumanTaskSpec,
    RecordStepAttempt,
    RegisterWait,
    ReleaseWait,
    RequestAction,
    StartChildRun,
    WaitKind,
    WaitOutcome,
    WriteSnapshot,
)
from workflow_core.interpreter.failures import StepError
from workflow_core.interpreter.starting import payload_violations
from workflow_core.interpreter.state import ActiveStep, Frame, OpenWait, RunState, RunStatus

__all__ = [
    "COMMAND_ADAPTER",
    "DEFAULT_LIMITS",
    "EFFECTS_ADAPTER",
    "EFFECT_ADAPTER",
    "ActionFailure",
    "ActiveStep",
    "Admission",
    "AppendLog",
    "AttemptStatus",
    "BeginRun",
    "CancelChildRun",
    "CancelRun",
    "ChildRunFinished",
    "Command",
    "CompleteAction",
    "CompleteHumanTask",
    "Continue",
    "Effect",
    "EventData",
    "FinalStatus",
    "FinishRun",
    "FireTimer",
    "Frame",
    "HumanTaskSpec",
    "NoRunError",
    "OpenWait",
    "RecordStepAttempt",
    "RegisterWait",
    "ReleaseWait",
    "RequestAction",
    "ResumeWait",
    "RetryRun",
    "RunLimits",
    "RunState",
    "RunStatus",
    "StartChildRun",
    "StartRun",
    "StepError",
    "Transition",
    "WaitKind",
    "WaitOutcome",
    "WriteSnapshot",
    "advance",
    "payload_violations",
]
