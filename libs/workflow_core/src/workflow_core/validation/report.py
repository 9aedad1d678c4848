"""Publish errors and the report (SPEC section 11), collected in document order."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field

from workflow_core.definitions import WireModel
from workflow_core.errors import PublishCode

Severity = Literal["error", "warning"]


class PublishError(WireModel):
    """``{severity, stepPath, stepId?, code, message, pointer?}`` on the wire.

    ``pointer`` is the JSON pointer of the value at fault in the definition
    document (``/steps/1/try/3/config/args/ticketId``), when one value is.
    """

    severity: Severity
    step_path: str
    step_id: str | None = None
    code: PublishCode
    message: str
    pointer: str | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ValidationReport(WireModel):
    """Every error and warning of one definition, sorted by document order."""

    errors: list[PublishError] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks publishing (warnings do not)."""
        return not any(error.severity == "error" for error in self.errors)

    def codes(self) -> list[str]:
        return [error.code.value for error in self.errors]

    def wire(self) -> dict[str, Any]:
        return {"ok": self.ok, "errors": [error.wire() for error in self.errors]}


class Findings:
    """Collects findings from every check; sorted at the end by the step's position.

    Within one step, findings keep the order the checks emitted them in.
    """

    def __init__(self) -> None:
        self._found: list[PublishError] = []

    def error(
        self,
        code: PublishCode,
        path: str,
        message: str,
        step_id: str | None,
        pointer: str | None = None,
    ) -> None:
        self.add("error", code, path, message, step_id, pointer)

    def warning(
        self,
        code: PublishCode,
        path: str,
        message: str,
        step_id: str | None,
        pointer: str | None = None,
    ) -> None:
        self.add("warning", code, path, message, step_id, pointer)

    def add(
        self,
        severity: Severity,
        code: PublishCode,
        path: str,
        message: str,
        step_id: str | None,
        pointer: str | None = None,
    ) -> None:
        self._found.append(
            PublishError(
                severity=severity,
                step_path=path,
                step_id=step_id,
                code=code,
                message=message,
                pointer=pointer,
            )
        )

    def report(self, order: dict[str, int]) -> ValidationReport:
        ranked = sorted(self._found, key=lambda found: order.get(found.step_path, -1))
        return ValidationReport(errors=ranked)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or ``""`` when none is close."""
    close = difflib.get_close_matches(name, sorted(set(choices)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
