"""One error root and the SPEC's stable wire codes.

Inside the core, workflow-level failures are values (a failed step attempt, a
run that ends FAILED), never exceptions. The exceptions below are for callers
that hand the core bad input (an unknown registry entry, a malformed
expression at compile time) and are converted to values at the boundary.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCategory(StrEnum):
    """``error.category`` of SPEC section 7. Names follow the wire format."""

    VALIDATION = "ValidationError"
    EXPRESSION = "ExpressionError"
    TRANSIENT = "TransientError"
    ACTION = "ActionError"
    TIMEOUT = "TimeoutError"


class PublishCode(StrEnum):
    """Stable codes of publish errors and warnings (SPEC section 11)."""

    INVALID_DEFINITION = "INVALID_DEFINITION"
    DUPLICATE_STEP_ID = "DUPLICATE_STEP_ID"
    UNKNOWN_NODE_TYPE = "UNKNOWN_NODE_TYPE"
    INVALID_CONFIG = "INVALID_CONFIG"
    UNKNOWN_ACTION = "UNKNOWN_ACTION"
    INVALID_EXPR = "INVALID_EXPR"
    DISALLOWED_FUNCTION = "DISALLOWED_FUNCTION"
    UNKNOWN_SCHEMA_REF = "UNKNOWN_SCHEMA_REF"
    UNKNOWN_WORKFLOW = "UNKNOWN_WORKFLOW"
    RECURSIVE_CALL = "RECURSIVE_CALL"
    INVALID_ASSIGN_PATH = "INVALID_ASSIGN_PATH"
    UNKNOWN_PAYLOAD_PATH = "UNKNOWN_PAYLOAD_PATH"
    # Warning: an expression reads vars.x that no step writes, or ``event`` outside a wait.
    UNKNOWN_VARIABLE = "UNKNOWN_VARIABLE"
    # Type analysis (warnings; errors when the definition sets ``strictTypes``).
    UNKNOWN_FIELD = "UNKNOWN_FIELD"  # a path that cannot exist at this step
    READ_BEFORE_WRITE = "READ_BEFORE_WRITE"  # vars.x read where no path to here wrote it
    MAYBE_UNDEFINED = "MAYBE_UNDEFINED"  # vars.x written on some paths to here only
    TYPE_MISMATCH = "TYPE_MISMATCH"  # certainly the wrong kind of value
    # Warning: toleratedFailure* on a forEach whose onItemError "continue" tolerates all.
    TOLERANCE_IGNORED = "TOLERANCE_IGNORED"
    ON_ERROR_OVERRIDDEN = "ON_ERROR_OVERRIDDEN"
    # A schedule trigger's cron expression or time zone is not valid (at ``root``).
    INVALID_TRIGGER = "INVALID_TRIGGER"
    # ``concurrency.key`` or ``autoPause.window`` is not usable (at ``root``).
    INVALID_FLOW_CONTROL = "INVALID_FLOW_CONTROL"


class ExpressionCode(StrEnum):
    """Codes carried by ``ExpressionError`` (compile time and run time)."""

    INVALID_EXPR = "INVALID_EXPR"
    DISALLOWED_FUNCTION = "DISALLOWED_FUNCTION"
    EVALUATION_FAILED = "EVALUATION_FAILED"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    OUTPUT_TOO_LARGE = "OUTPUT_TOO_LARGE"
    NOT_JSON = "NOT_JSON"
    TIMED_OUT = "TIMED_OUT"


class SluiceError(Exception):
    """Root of every exception Sluice raises on purpose."""

    code: str = "SLUICE_ERROR"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class RegistryError(SluiceError):
    """A registration is incomplete, duplicated, or made after the freeze."""

    code = "REGISTRY_ERROR"


class DefinitionError(SluiceError):
    """A definition document does not have the shape of SPEC section 3."""

    code = PublishCode.INVALID_DEFINITION
