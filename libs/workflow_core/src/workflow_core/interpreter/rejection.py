"""A refused command (an invalid task completion): no state change, no effects."""

from __future__ import annotations

from collections.abc import Sequence

from workflow_core.errors import SluiceError
from workflow_core.json_schema import SchemaViolation


class CommandRejectedError(SluiceError):
    """Raised by a handler before it changes anything; ``advance`` answers ``rejected``."""

    code = "COMMAND_REJECTED"

    def __init__(self, message: str, violations: Sequence[SchemaViolation] = ()) -> None:
        super().__init__(message)
        self.violations = list(violations)
