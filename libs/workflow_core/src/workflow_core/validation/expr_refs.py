"""Every Expr of a step, where it sits, and what context it is evaluated in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workflow_core.definitions import EXPR_KEY, is_expr
from workflow_core.redaction.pointers import format_pointer
from workflow_core.validation.shape import BRANCH_FIELDS, RawStep


class Scope(StrEnum):
    RUN = "run"  # payload, vars, meta, error of this run
    EVENT = "event"  # the above plus ``event`` (an event.wait's assign)
    CHILD = "child"  # a callWorkflow outputMapping: the child's final envelope


@dataclass(frozen=True)
class FoundExpr:
    where: str  # "condition", "config.args.email", "inputMapping.ticket"
    source: str | None  # None: a malformed ``{"$expr": ...}`` object
    scope: Scope
    pointer: str = ""  # JSON pointer relative to the step: "/config/args/email"


def step_exprs(step: RawStep) -> list[FoundExpr]:
    """Exprs of ``step`` itself (its nested steps are separate), in document order."""
    raw = step.raw
    if not isinstance(raw, Mapping):
        return []
    step_type = raw.get("type")
    branches = BRANCH_FIELDS.get(step_type, ()) if isinstance(step_type, str) else ()
    skipped = {"id", "name", "type", *branches}
    found: list[FoundExpr] = []
    for key, value in raw.items():
        if key not in skipped:
            found.extend(_find(value, key, step_type, format_pointer([key])))
    return found


def _scope(step_type: Any, where: str) -> Scope:
    if step_type == "control.callWorkflow" and where.startswith("outputMapping"):
        return Scope.CHILD
    if step_type == "event.wait" and where.startswith(("config.assign.", "config.assign[")):
        return Scope.EVENT
    return Scope.RUN


def _find(value: Any, where: str, step_type: Any, pointer: str) -> Iterator[FoundExpr]:
    if is_expr(value):
        yield FoundExpr(where, value[EXPR_KEY], _scope(step_type, where), pointer)
    elif isinstance(value, dict) and EXPR_KEY in value:
        yield FoundExpr(where, None, _scope(step_type, where), pointer)
    elif isinstance(value, dict):
        for key, child in value.items():
            label = f"{where}.{key}" if _plain(key) else f"{where}[{key!r}]"
            yield from _find(child, label, step_type, pointer + format_pointer([str(key)]))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _find(child, f"{where}[{index}]", step_type, f"{pointer}/{index}")


def _plain(key: str) -> bool:
    return key.replace("_", "a").isalnum()
