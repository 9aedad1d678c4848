"""Expressions and write paths of one step: INVALID_EXPR, DISALLOWED_FUNCTION,
INVALID_ASSIGN_PATH, and the type analysis' findings (see ``type_checks``).

Reads come from ``read_paths`` (which reports only paths it is sure of, so
a warning here is never a guess about a dynamic path) and are checked
against the step's scope (``scopes.analyse_types``): flow-sensitively, a
``vars`` name counts only where every path to the read wrote it.
``outputMapping`` expressions read the child's final envelope, so their
reads are not checked against this definition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow_core.definitions import is_expr
from workflow_core.errors import ExpressionCode, PublishCode
from workflow_core.expressions import (
    CompiledExpression,
    ExpressionError,
    compile_expression,
    read_paths,
)
from workflow_core.redaction.pointers import format_pointer
from workflow_core.typeflow import ANY, Inference, Shape, describe, infer, shape_of_schema
from workflow_core.validation.context import ValidationContext
from workflow_core.validation.expr_refs import FoundExpr, Scope, step_exprs
from workflow_core.validation.report import Findings
from workflow_core.validation.scopes import StepScope
from workflow_core.validation.shape import RawStep
from workflow_core.validation.type_checks import (
    TYPE_CODES,
    ReadCheck,
    mismatch,
    undeclared_reason,
)
from workflow_core.validation.write_paths import parse_target, redactions_problem, write_targets

Path = tuple[str, ...]
MALFORMED = 'an expression is exactly {"$expr": "<JSONata source>"}'
# Where an absent value is handled by the step itself: a condition is a test,
# forEach items treat null as no items.
_TESTED = ("condition", "items")


@dataclass
class StepChecker:
    """Checks one step's expressions and targets, reporting each message once."""

    step: RawStep
    ctx: ValidationContext
    findings: Findings
    scope: StepScope | None
    var_writers: Mapping[str, Sequence[str]]
    strict: bool = False
    pointer: str = ""
    _seen: set[tuple[PublishCode, str]] = field(default_factory=set)

    def run(self) -> None:
        for found in step_exprs(self.step):
            compiled = self._compile(found)
            if compiled is not None and found.scope is not Scope.CHILD:
                self._check_expr(found, compiled)
        for target in write_targets(self.step):
            self._check_target(target.where, target.path, target.value, target.pointer)
        self._check_args()

    def _compile(self, found: FoundExpr) -> CompiledExpression | None:
        if found.source is None:
            if found.where.startswith("config"):  # elsewhere the shape check reports it
                self._error(PublishCode.INVALID_EXPR, f"{found.where}: {MALFORMED}", found.pointer)
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
            self._error(code, f"{found.where}: {error.message}{where}", found.pointer)
            return None

    def _check_expr(self, found: FoundExpr, compiled: CompiledExpression) -> None:
        if self.scope is None:
            return
        event = found.scope is Scope.EVENT
        check = ReadCheck(self.scope, self.var_writers, self.ctx.payload_ref)
        for path in sorted(read_paths(compiled)):
            problem = check.problem(path, event=event)
            if problem is not None:
                self._typed(problem[0], problem[1], found.pointer)
        inference = Inference()
        shape = infer(compiled.ast, self.scope.env.context(event=event), inference)
        for comparison in inference.comparisons:
            self._typed(PublishCode.TYPE_MISMATCH, comparison.message(), found.pointer)
        if found.where not in _TESTED:
            for path, (prefix, writers) in sorted(inference.unguarded.items()):
                self._typed(
                    PublishCode.MAYBE_UNDEFINED, _maybe(found.where, path, prefix, writers),
                    found.pointer,
                )  # fmt: skip
        if found.where == "items" and mismatch(shape, _ARRAY_OR_NULL):
            message = f"items: gives {describe(shape)}; forEach items must be an array (or null)"
            self._typed(PublishCode.TYPE_MISMATCH, message, found.pointer)

    def _check_target(self, where: str, path: str, value: object, pointer: str) -> None:
        segments, problem = parse_target(path)
        if problem is None:
            problem = redactions_problem(segments, value, self._reads_redactions(value))
        if problem is not None:
            self._error(
                PublishCode.INVALID_ASSIGN_PATH, f"{where}: cannot write {path!r}: {problem}",
                pointer,
            )  # fmt: skip
            return
        if segments[0] == "payload" and self.ctx.payload_schema is not None:
            reason = undeclared_reason(self.ctx.payload_schema, self.ctx.payload_ref or "", [
                segment for segment in segments if segment != "-"
            ])  # fmt: skip
            if reason:
                self._typed(PublishCode.UNKNOWN_PAYLOAD_PATH, f"{where} writes {reason}", pointer)

    def _check_args(self) -> None:
        """Action arguments given by an expression, against the action's input schema."""
        raw = self.step.raw if isinstance(self.step.raw, Mapping) else {}
        config = raw.get("config")
        if (
            raw.get("type") != "action.call"
            or not isinstance(config, Mapping)
            or self.scope is None
        ):
            return
        action_id, version, args = config.get("actionId"), config.get("version"), config.get("args")
        spec = None
        if isinstance(action_id, str) and isinstance(version, int) and isinstance(args, Mapping):
            spec = self.ctx.registry.actions.get(action_id, version)
        if spec is None or not isinstance(args, Mapping):
            return
        properties = spec.input_schema.get("properties") or {}
        context = self.scope.env.context()
        for name, value in args.items():
            if not is_expr(value) or name not in properties:
                continue
            try:
                compiled = compile_expression(value["$expr"])
            except ExpressionError:
                continue
            shape, expected = infer(compiled.ast, context), shape_of_schema(properties[name])
            if mismatch(shape, expected):
                message = (
                    f"config.args.{name}: {value['$expr']} gives {describe(shape)}, but "
                    f"{action_id} v{version} takes {describe(expected)}"
                )
                self._typed(
                    PublishCode.TYPE_MISMATCH,
                    message,
                    format_pointer(["config", "args", str(name)]),
                )

    def _reads_redactions(self, value: object) -> bool:
        if not isinstance(value, dict) or not isinstance(value.get("$expr"), str):
            return False
        try:
            return ("meta", "redactions") in read_paths(value["$expr"])
        except ExpressionError:
            return False

    def _typed(self, code: PublishCode, message: str, pointer: str) -> None:
        """A type finding: a warning, or an error under ``strictTypes``."""
        assert code in TYPE_CODES
        severity = "error" if self.strict else "warning"
        self._add(severity, code, message, pointer)

    def _error(self, code: PublishCode, message: str, pointer: str) -> None:
        self._add("error", code, message, pointer)

    def _add(self, severity: Any, code: PublishCode, message: str, pointer: str) -> None:
        if (code, message) not in self._seen:
            self._seen.add((code, message))
            self.findings.add(
                severity, code, self.step.path, message, self.step.step_id,
                f"{self.pointer}{pointer}",
            )  # fmt: skip


_ARRAY_OR_NULL = Shape(scalars=frozenset({"null"}), items=ANY)


def _maybe(where: str, path: Path, prefix: Path, writers: Sequence[str]) -> str:
    by = f" (by {', '.join(writers[:3])})" if writers else ""
    return (
        f"{where}: {'.'.join(path)}: {'.'.join(prefix)} is written on some paths to this step "
        f"only{by}; where it is not, this reads nothing. Test it first (an if on it, "
        "$exists()) or give a fallback with coalesce()"
    )
