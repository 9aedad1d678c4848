"""The run engine (``sluice_engine``) seen from the API: its context, and its
errors as problems.

The API never advances runs itself: starts, event routing, operator controls
and task completions go through the engine's functions inside the request's
transaction, so the answer can name what happened, and an error rolls back
everything the request wrote.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sluice_config import Settings
from sluice_config.clock import Clock
from sluice_engine import (
    ActionHandlers,
    CommandRejectedError,
    EngineContext,
    EngineError,
    InvalidPayloadError,
    PauseStateError,
    RunNotFoundError,
    RunStatusConflictError,
    TaskNotActiveError,
    UnknownWorkflowError,
    WaitClosedError,
    load_plugins,
)
from sluice_engine.run_metrics import RunMetrics
from sluice_http import ProblemError, ProblemItem, problem_response
from sluice_messaging.topics import Topics
from workflow_core.registry import Registry, create_registry

# (status, code) per engine error; anything else from the engine is a 500.
_STATUS: dict[type[EngineError], tuple[int, str]] = {
    UnknownWorkflowError: (404, "NOT_FOUND"),
    RunNotFoundError: (404, "NOT_FOUND"),
    InvalidPayloadError: (422, "INVALID_PAYLOAD"),
    CommandRejectedError: (422, "COMMAND_REJECTED"),
    TaskNotActiveError: (409, "TASK_NOT_OPEN"),
    RunStatusConflictError: (409, "RUN_STATUS_CONFLICT"),
    WaitClosedError: (409, "WAIT_CLOSED"),
    PauseStateError: (409, ""),  # its own code: WORKFLOW_PAUSED, ALREADY_PAUSED, NOT_PAUSED
}


def build_plugins(settings: Settings) -> tuple[Registry, ActionHandlers]:
    """The core's registry plus the ``WF_PLUGINS`` node types and actions, and their
    handlers, both frozen.

    The API needs the plugins' contracts (publish validation, discovery); of the
    handlers it only ever calls the pure ones that need no I/O, in shadow runs
    (``sluice_engine.shadow``). Runs' actions execute in the interpreter.
    """
    registry, handlers = create_registry(), ActionHandlers()
    load_plugins(settings.plugins, registry, handlers)
    return registry.freeze(), handlers.freeze()


def build_registry(settings: Settings) -> Registry:
    """``build_plugins`` without the handlers."""
    return build_plugins(settings)[0]


def engine_context(
    registry: Registry, topics: Topics, clock: Clock, metrics: RunMetrics | None = None
) -> EngineContext:
    return EngineContext(registry=registry, topics=topics, clock=clock, metrics=metrics)


def _items(exc: EngineError) -> list[ProblemItem]:
    if isinstance(exc, InvalidPayloadError):
        return [ProblemItem(pointer="/payload" + v.pointer, message=v.message)
                for v in exc.violations]  # fmt: skip
    if isinstance(exc, CommandRejectedError):
        return [ProblemItem(pointer=str(v.get("pointer", "")), message=str(v.get("message", "")))
                for v in exc.violations]  # fmt: skip
    return []


def engine_problem(exc: EngineError) -> ProblemError | None:
    """The problem a client error of the engine answers; None for anything else (a bug)."""
    for kind, (status, code) in _STATUS.items():
        if isinstance(exc, kind):
            return ProblemError(status, code or exc.code, exc.message, errors=_items(exc))
    return None


async def _on_engine_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EngineError)
    problem = engine_problem(exc)
    if problem is None:
        raise exc  # not a client error: the generic handler logs it and answers 500
    return problem_response(problem.status, problem.code, problem.detail, problem.errors)


def install_engine_handlers(app: FastAPI) -> None:
    app.add_exception_handler(EngineError, _on_engine_error)
