"""Expressions and write paths of one step: INVALID_EXPR, DISALLOWED_FUNCTION,
INVALID_ASSIGN_PATH, UNKNOWN_PAYLOAD_PATH and UNKNOWN_VARIABLE.

Reads come from ``read_paths`` (which reports only paths it is sure of, so
a warning here is never a guess about a dynamic path). ``vars`` reads are
checked flow-insensitively: a name counts as written if any step anywhere in
the definition writes it, before or after the read. ``outputMapping``
expressions read the child's final envelope, so their payload and vars reads
are not checked against this definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow_core.errors import ExpressionCode, PublishCode
from workflow_core.expressions import (
    CompiledExpression,
    ExpressionError,
    compile_expression,
    read_paths,
)
from workflow_core.validation.context import ValidationContext
from workflow_core.validation.expr_refs import FoundExpr, Scope, step_exprs
from workflow_core.validation.payload_paths import undeclared_reason
from workflow_core.validation.report import Findings, did_you_mean
from workflow_core.validation.shape import RawStep
from workflow_core.validation.write_paths import parse_target, redactions_problem, write_targets

MALFORMED = 'an expression is exactly {"$expr": "<JSONata source>"}'


@dataclass
class StepChecker:
    """Checks one step's expressions and targets, reporting each message once."""

    step: RawStep
    ctx: ValidationContext
    findings: Findings
    written_vars: set[str]
    _seen: set[tuple[PublishCode, str]] = field(default_factory=set)

    def run(self) -> None:
        for found in step_exprs(self.step):
            compiled = self._compile(found)
            if compiled is not None and found.scope is not Scope.CHILD:
                for path in sorted(read_paths(compiled)):
                    self._check_read(path, found.scope)
        for target in write_targets(self.step):
            self._check_target(target.where, target.path, target.value)

    def _compile(self, found: FoundExpr) -> CompiledExpression | None:
        if found.source is None:
            if found.where.startswith("config"):  # elsewhere the shape check reports it
                self._error(PublishCode.INVALID_EXPR, f"{found.where}: {MALFORMED}")
            return None
        try:
            return compile_expression(found.source)
        except ExpressionError as error:
            code = (
                PublishCode.DISALLOWED_FUNCTION
                if error.code == ExpressionCode.DISALLOWED_FUNCTION
                else PublishCode.INVALID_EXPR
            )
            where = f" at position {error.position}" if error.position is not None else ""
            self._error(code, f"{found.where}: {error.message}{where}")
            return None

    def _check_read(self, path: tuple[str, ...], scope: Scope) -> None:
        dotted = ".".join(path)
        if path[0] == "payload" and self.ctx.payload_schema is not None:
            reason = undeclared_reason(self.ctx.payload_schema, self.ctx.payload_ref or "", path)
            if reason:
                self._warn(PublishCode.UNKNOWN_PAYLOAD_PATH, reason)
        elif path[0] == "vars" and len(path) > 1 and path[1] not in self.written_vars:
            hint = did_you_mean(path[1], self.written_vars)
            message = f"{dotted}: vars.{path[1]} is never written by any step{hint}"
            self._warn(PublishCode.UNKNOWN_VARIABLE, message)
        elif path[0] == "event" and scope is not Scope.EVENT:
            message = f"{dotted}: 'event' only exists in an event.wait's assign expressions"
            self._warn(PublishCode.UNKNOWN_VARIABLE, message)

    def _check_target(self, where: str, path: str, value: object) -> None:
        segments, problem = parse_target(path)
        if problem is None:
            problem = redactions_problem(segments, value, self._reads_redactions(value))
        if problem is not None:
            self._error(
                PublishCode.INVALID_ASSIGN_PATH, f"{where}: cannot write {path!r}: {problem}"
            )
            return
        if segments[0] == "payload" and self.ctx.payload_schema is not None:
            fields = [segment for segment in segments if segment != "-"]
            reason = undeclared_reason(self.ctx.payload_schema, self.ctx.payload_ref or "", fields)
            if reason:
                self._warn(PublishCode.UNKNOWN_PAYLOAD_PATH, f"{where} writes {reason}")

    def _reads_redactions(self, value: object) -> bool:
        if not isinstance(value, dict) or not isinstance(value.get("$expr"), str):
            return False
        try:
            return ("meta", "redactions") in read_paths(value["$expr"])
        except ExpressionError:
            return False

    def _error(self, code: PublishCode, message: str) -> None:
        if (code, message) not in self._seen:
            self._seen.add((code, message))
            self.findings.error(code, self.step.path, message, self.step.step_id)

    def _warn(self, code: PublishCode, message: str) -> None:
        if (code, message) not in self._seen:
            self._seen.add((code, message))
            self.findings.warning(code, self.step.path, message, self.step.step_id)
