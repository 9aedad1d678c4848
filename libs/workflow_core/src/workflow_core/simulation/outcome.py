"""How a run ended, and what differs between two ends of the same run.

``Outcome`` is status, business state (``meta.state``) and error;
``outcome_changed`` compares what an operator would call "the result"
(status, state, the error's name and step; not its time or message wording);
``diff_envelopes`` lists the JSON changes between two final envelopes'
``payload``, ``vars``, ``meta.state`` and ``error``, as JSON pointers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import JsonValue

from workflow_core.interpreter.wire import FrozenModel
from workflow_core.redaction import format_pointer

REFUSED = "REFUSED"  # the draft refuses the recorded payload: no run would exist
MAX_CHANGES = 100  # per run; a whole rewrite of a large payload is one truncated list
COMPARED = ("payload", "vars", "error")


class Outcome(FrozenModel):
    status: str  # a RunStatus value, or REFUSED
    state: str | None = None
    error: dict[str, JsonValue] | None = None


class Change(FrozenModel):
    pointer: str
    kind: Literal["added", "removed", "changed"]
    before: JsonValue = None
    after: JsonValue = None


def outcome_of(status: str, envelope: dict[str, Any], error: dict[str, Any] | None) -> Outcome:
    meta = envelope.get("meta")
    state = meta.get("state") if isinstance(meta, dict) else None
    return Outcome(status=status, state=state if isinstance(state, str) else None, error=error)


def outcome_changed(past: Outcome, draft: Outcome) -> bool:
    return (past.status, past.state, _error_key(past.error)) != (
        draft.status,
        draft.state,
        _error_key(draft.error),
    )


def _error_key(error: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if error is None:
        return None
    return (error.get("name"), error.get("stepId"))


def diff_envelopes(
    before: dict[str, Any], after: dict[str, Any], *, limit: int = MAX_CHANGES
) -> tuple[list[Change], bool]:
    """The changes (at most ``limit``) and whether more were left out."""
    changes: list[Change] = []
    meta_before, meta_after = before.get("meta") or {}, after.get("meta") or {}
    _diff(["meta", "state"], meta_before.get("state"), meta_after.get("state"), changes)
    for section in COMPARED:
        _diff([section], before.get(section), after.get(section), changes)
    return changes[:limit], len(changes) > limit


_ABSENT = object()


def _diff(path: list[str], old: Any, new: Any, out: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            _diff([*path, key], old.get(key, _ABSENT), new.get(key, _ABSENT), out)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff([*path, str(index)], a, b, out)
        return
    if old == new and isinstance(old, bool) == isinstance(new, bool):
        return  # 1 and 1.0 are one JSON number; true is not 1
    pointer = format_pointer(path)
    if old is _ABSENT:
        out.append(Change(pointer=pointer, kind="added", after=new))
    elif new is _ABSENT:
        out.append(Change(pointer=pointer, kind="removed", before=old))
    else:
        out.append(Change(pointer=pointer, kind="changed", before=old, after=new))
