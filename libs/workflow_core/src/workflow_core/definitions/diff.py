"""Step-level difference of two definition documents (raw JSON, valid or not).

Steps are matched by ``id`` (unique within a definition by SPEC section 3), so
a step that moved is "moved", not "removed" plus "added". A step "changed"
when anything but its nested pipes differs (its config, retry, name...); a
block whose child changed is not itself changed. Top-level fields other than
``steps`` (name, trigger, payload schema...) are reported by name. Used for
the publish audit entry, the designer's version diff and ``definitions apply``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow_core.definitions.paths import ROOT

# Raw JSON branch keys of a block, in document order (SPEC section 3).
BRANCH_KEYS = ("then", "else", "try", "catch", "body")


@dataclass(frozen=True)
class StepDiff:
    """Ids of steps by what happened to them, each list in the new (or old) document order."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # top-level fields other than steps

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.moved or self.fields)

    def summary(self) -> dict[str, list[str]]:
        """The non-empty lists, for an audit entry or a plan line."""
        lists = {
            "added": self.added, "removed": self.removed, "changed": self.changed,
            "moved": self.moved, "fields": self.fields,
        }  # fmt: skip
        return {name: ids for name, ids in lists.items() if ids}


def _pipe(value: Any) -> list[Any]:
    """A branch is a list of steps or ``{"steps": [...]}``; anything else holds none."""
    if isinstance(value, Mapping):
        value = value.get("steps")
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class _Found:
    parent: tuple[str, str]  # (id of the enclosing block or ROOT, branch key)
    own: dict[str, Any]  # the step without its nested pipes


def _steps(pipe: list[Any], parent: tuple[str, str]) -> Iterator[tuple[str, _Found]]:
    """``(id, where and what)`` of every step with a string id, depth first."""
    for step in pipe:
        if not isinstance(step, Mapping):
            continue
        step_id = step.get("id")
        if isinstance(step_id, str):
            own = {key: value for key, value in step.items() if key not in BRANCH_KEYS}
            yield step_id, _Found(parent, own)
        for key in BRANCH_KEYS:
            if key in step:
                yield from _steps(_pipe(step[key]), (str(step_id), key))


def _index(document: Mapping[str, Any] | None) -> dict[str, _Found]:
    found: dict[str, _Found] = {}
    for step_id, where in _steps(_pipe((document or {}).get("steps")), (ROOT, "")):
        found.setdefault(step_id, where)  # a duplicated id: the first one counts
    return found


def _ranks(index: dict[str, _Found], kept: set[str]) -> dict[str, tuple[tuple[str, str], int]]:
    """Each kept step's pipe and its position among the kept steps of that pipe (a step
    that left its pipe does not shift the others)."""
    counts: dict[tuple[str, str], int] = {}
    ranks = {}
    for step_id, where in index.items():  # document order
        if step_id in kept:
            ranks[step_id] = (where.parent, counts.get(where.parent, 0))
            counts[where.parent] = counts.get(where.parent, 0) + 1
    return ranks


def _top_fields(document: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (document or {}).items() if k not in ("steps", "id", "version")}


def diff_steps(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> StepDiff:
    """What changed from ``old`` (``None``: nothing published yet) to ``new``.

    A step "moved" when it changed pipes or its order among the steps both
    documents keep in that pipe (inserting or taking out a step before it is
    not a move).
    """
    before, after = _index(old), _index(new)
    kept = before.keys() & after.keys()
    same_pipe = {s for s in kept if before[s].parent == after[s].parent}
    old_ranks, new_ranks = _ranks(before, same_pipe), _ranks(after, same_pipe)
    moved = (kept - same_pipe) | {s for s in same_pipe if new_ranks[s] != old_ranks[s]}
    old_fields, new_fields = _top_fields(old), _top_fields(new)
    return StepDiff(
        added=[step_id for step_id in after if step_id not in before],
        removed=[step_id for step_id in before if step_id not in after],
        changed=[s for s in after if s in kept and after[s].own != before[s].own],
        moved=[step_id for step_id in after if step_id in moved],
        fields=sorted(k for k in old_fields.keys() | new_fields.keys()
                      if old_fields.get(k) != new_fields.get(k)),
    )  # fmt: skip
