"""Write targets (INVALID_ASSIGN_PATH) and the variables a definition writes.

Targets are ``transform.assign``/``event.wait`` ``assign`` keys, ``saveAs``
and ``callWorkflow`` ``outputMapping`` keys. The grammar matches the
interpreter's: a dot path (``vars.a.b``) or a JSON pointer (``/vars/a/b``)
with at least one segment under ``payload``, ``vars`` or ``meta``; a numeric
segment indexes an array and ``-`` appends. Publish is stricter in two ways:
dot-path segments may not look like JSONata (brackets, quotes, spaces), and
``meta.redactions`` may only grow: append with ``/meta/redactions/-``, or
assign the whole list from an expression that reads ``meta.redactions``
(``append(meta.redactions, "/payload/x")``); the interpreter still enforces
growth at run time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from workflow_core.definitions import CALL_WORKFLOW, FOR_EACH, TRY_CATCH, is_expr
from workflow_core.redaction.pointers import format_pointer
from workflow_core.validation.shape import RawStep

WRITABLE_ROOTS = ("payload", "vars", "meta")
READ_ONLY = {
    "run": "'run' is read-only (it describes the run itself)",
    "error": "'error' is set by failures and cleared by catch; it cannot be written",
    "event": "'event' only exists while an event.wait assigns; it cannot be written",
}
ASSIGNING_NODES = frozenset({"transform.assign", "event.wait"})
_BAD_DOT_SEGMENT = re.compile(r"[\[\]\"'\s]")
LAST_ERROR = "lastError"


@dataclass(frozen=True)
class Target:
    """One write: where it is written (``config.saveAs``) and the path it names."""

    where: str
    path: str
    value: Any  # the Expr or literal assigned (None for saveAs)
    pointer: str = ""  # JSON pointer of the target's key, relative to the step


def write_targets(step: RawStep) -> list[Target]:
    """Read from the raw step, so a step with a shape error still declares its writes
    (one typo must not turn every later read of its variable into a warning)."""
    raw: Mapping[str, Any] = step.raw if isinstance(step.raw, Mapping) else {}
    config = raw.get("config")
    config = config if isinstance(config, Mapping) else {}
    targets: list[Target] = []
    if raw.get("type") == CALL_WORKFLOW:
        mapping = raw.get("outputMapping")
        for key, value in mapping.items() if isinstance(mapping, Mapping) else []:
            pointer = format_pointer(["outputMapping", str(key)])
            targets.append(Target(f"outputMapping[{key!r}]", str(key), value, pointer))
        return targets
    save_as = config.get("saveAs")
    if isinstance(save_as, str):
        targets.append(Target("config.saveAs", save_as, None, "/config/saveAs"))
    assign = config.get("assign")
    if raw.get("type") in ASSIGNING_NODES and isinstance(assign, Mapping):
        targets += [
            Target(f"config.assign[{k!r}]", str(k), v, format_pointer(["config", "assign", str(k)]))
            for k, v in assign.items()
        ]
    return targets


def parse_target(path: str) -> tuple[list[str], str | None]:
    """The segments of a write path and why it is invalid (None when it is valid)."""
    if path.startswith("/"):
        if re.search(r"~(?![01])", path):
            return [], "'~' in a JSON pointer must be escaped as ~0 or ~1"
        segments = [s.replace("~1", "/").replace("~0", "~") for s in path[1:].split("/")]
    else:
        segments = path.split(".")
        if "" in segments:
            return segments, "a dot path has no empty segments"
        if any(_BAD_DOT_SEGMENT.search(segment) for segment in segments):
            return segments, "dot-path segments cannot hold brackets, quotes or spaces"
    return segments, _root_problem(segments) or _append_problem(segments)


def _root_problem(segments: list[str]) -> str | None:
    root = segments[0] if segments else ""
    if root in READ_ONLY:
        return READ_ONLY[root]
    if root not in WRITABLE_ROOTS:
        return f"must start with payload, vars or meta, not {root!r}"
    if len(segments) < 2:
        return f"must name a field under {root!r}, not replace all of it"
    return None


def _append_problem(segments: list[str]) -> str | None:
    if "-" in segments[:-1]:
        return "'-' (append) can only be the last segment"
    return None


def redactions_problem(segments: list[str], value: Any, reads_redactions: bool) -> str | None:
    """``meta.redactions`` only grows: append, or rebuild it from itself."""
    if segments[:2] != ["meta", "redactions"]:
        return None
    if segments[2:] == ["-"]:
        return None
    if len(segments) == 2 and is_expr(value) and reads_redactions:
        return None
    return (
        "meta.redactions can only grow: append with /meta/redactions/- or assign "
        "append(meta.redactions, ...)"
    )


def var_writers(steps: list[RawStep]) -> dict[str, list[str]]:
    """Every ``vars`` name some step writes, with the step paths that write it (in
    document order, anywhere: for messages about reads before the write)."""
    names: dict[str, list[str]] = {}
    for step in steps:
        written = list(_implicit_vars(step))
        for target in write_targets(step):
            segments, problem = parse_target(target.path)
            if problem is None and segments[0] == "vars":
                written.append(segments[1])
        for name in dict.fromkeys(written):
            names.setdefault(name, []).append(step.path)
    return names


def _implicit_vars(step: RawStep) -> Iterator[str]:
    raw = step.raw if isinstance(step.raw, Mapping) else {}
    item_var, captured = raw.get("itemVar"), raw.get("captureErrorAs")
    if raw.get("type") == FOR_EACH and isinstance(item_var, str):
        yield from (item_var, f"{item_var}Index")
        if raw.get("onItemError") == "continue":
            yield f"{item_var}Errors"
    if raw.get("type") == TRY_CATCH and isinstance(captured, str):
        yield captured
    if continues_on_error(raw):
        yield LAST_ERROR


def continues_on_error(raw: Mapping[str, Any]) -> bool:
    """``onError: continue`` at step level or, for action.call, inside config."""
    config = raw.get("config")
    policies = [raw.get("onError"), config.get("onError") if isinstance(config, Mapping) else None]
    return any(isinstance(p, dict) and p.get("policy") == "continue" for p in policies)
