"""Engine errors, under the one ``SluiceError`` root; each names tenant and run when known."""

from __future__ import annotations

from collections.abc import Sequence

from workflow_core.errors import SluiceError
from workflow_core.json_schema import SchemaViolation


class EngineError(SluiceError):
    code = "ENGINE_ERROR"


class UnknownWorkflowError(EngineError):
    """No published version of the workflow (or not that version) in this tenant."""

    code = "UNKNOWN_WORKFLOW"


class RunNotFoundError(EngineError):
    code = "RUN_NOT_FOUND"


class InvalidPayloadError(EngineError):
    """The payload breaks the definition's payload schema: no run was created."""

    code = "INVALID_PAYLOAD"

    def __init__(self, message: str, violations: Sequence[SchemaViolation]) -> None:
        super().__init__(message)
        self.violations = list(violations)


class CommandRejectedError(EngineError):
    """The core refused a command (an invalid task completion); nothing was recorded.

    Raised so the caller's transaction rolls back (including the wait it closed).
    """

    code = "COMMAND_REJECTED"

    def __init__(self, message: str, violations: Sequence[dict[str, str]]) -> None:
        super().__init__(message)
        self.violations = list(violations)


class TaskNotActiveError(EngineError):
    """The human task is unknown, already completed, canceled or timed out."""

    code = "TASK_NOT_ACTIVE"


class RunStatusConflictError(EngineError):
    """An operator control the run's status does not allow (cancel an ended run, resume
    a run that is not WAITING, retry one that did not fail); nothing was written."""

    code = "RUN_STATUS_CONFLICT"


class WaitClosedError(EngineError):
    """The wait an operator resumes was closed meanwhile (an event, a timer, a cancel)."""

    code = "WAIT_CLOSED"


class PauseStateError(EngineError):
    """Pause of a paused workflow, unpause of a running one, or an API start of a paused
    one (its ``code`` says which); nothing was written."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class PluginError(EngineError):
    code = "PLUGIN_ERROR"
