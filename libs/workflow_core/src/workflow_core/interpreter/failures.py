"""Step failures as values (SPEC section 7).

``StepError`` is what a failed step attempt records, what bubbles to a
``tryCatch`` and what ends a run FAILED; its envelope form is SPEC section 4's
``error``. Inside one ``advance`` a node raises ``StepFailureError`` to stop its
step; the step runner turns it back into a value at once, so it never leaves
the core.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field, JsonValue

from workflow_core.errors import ErrorCategory, SluiceError
from workflow_core.interpreter.wire import FrozenModel, iso

# Categories SPEC section 7 never retries whatever a retry policy says.
NEVER_RETRIED = frozenset(
    {ErrorCategory.VALIDATION, ErrorCategory.EXPRESSION, ErrorCategory.TIMEOUT}
)


class StepError(FrozenModel):
    """A categorised failure, located at the step where it happened."""

    name: str
    category: ErrorCategory
    message: str
    retryable: bool = False
    data: dict[str, JsonValue] = Field(default_factory=dict)
    node_path: str | None = None
    step_id: str | None = None
    at: AwareDatetime | None = None

    def located(self, *, node_path: str, step_id: str, at: datetime) -> StepError:
        """This error stamped with where and when it happened (first stamp wins)."""
        if self.node_path is not None:
            return self
        return self.model_copy(update={"node_path": node_path, "step_id": step_id, "at": at})

    def envelope_form(self) -> dict[str, Any]:
        """``envelope.error`` of SPEC section 4 (``retryable`` is a history detail)."""
        return {
            "name": self.name,
            "category": self.category.value,
            "message": self.message,
            "nodePath": self.node_path,
            "stepId": self.step_id,
            "at": iso(self.at) if self.at else None,
            "data": dict(self.data),
        }


def step_error(
    category: ErrorCategory,
    name: str,
    message: str,
    *,
    retryable: bool = False,
    data: dict[str, JsonValue] | None = None,
) -> StepError:
    return StepError(
        name=name, category=category, message=message, retryable=retryable, data=data or {}
    )


def validation_error(name: str, message: str, **data: JsonValue) -> StepError:
    return step_error(ErrorCategory.VALIDATION, name, message, data=data)


class StepFailureError(SluiceError):
    """Stops the current step with ``error``; caught by the step runner, never escapes."""

    code = "STEP_FAILED"

    def __init__(self, error: StepError) -> None:
        super().__init__(error.message, code=error.name)
        self.error = error
