"""Definitions as files: reading a directory, writing it in a stable form, the apply plan.

A directory holds one definition document per ``*.json`` file (not recursive).
``export`` writes each workflow to ``<name as a slug>.json`` (``-<id prefix>``
added when two names make the same slug), keys in a fixed order (the
document's own first: id, name, ..., steps; in a step: id, name, type, its
block fields, config, policies, then its branches; every other object's keys
sorted) and two-space indentation: exporting the same workflows twice writes
the same bytes, so a repository diff shows only real changes.

``apply`` matches a file to a workflow by its ``id`` (a UUID), or, without
one, by its ``name`` (exactly one workflow of that name, else it is created).
A file is *unchanged* when it equals the latest published version (``id``,
``version`` and ``$schema`` aside), otherwise *changed* (or *created*); what
changed is the step-level diff the designer and the audit log show
(``workflow_core.definitions.diff``).
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from workflow_core.definitions import called_workflows
from workflow_core.definitions.diff import diff_steps

IGNORED_KEYS = ("$schema", "version")  # an editor's hint; SPEC 11: ignored on input
TOP_ORDER = (
    "id", "name", "description", "payloadSchemaRef", "trigger", "strictTypes", "steps",
)  # fmt: skip
STEP_ORDER = (
    "id", "name", "type", "condition", "items", "itemVar", "concurrency", "onItemError",
    "workflowId", "workflowVersion", "inputMapping", "outputMapping", "config", "retry",
    "onError", "captureErrorAs", "then", "else", "try", "catch", "body",
)  # fmt: skip
BRANCHES = ("steps", "then", "else", "try", "catch", "body")
Kind = Literal["create", "change", "unchanged"]


class FileError(Exception):
    """A file that cannot take part: not JSON, not an object, a bad or duplicate id."""

    def __init__(self, message: str, code: str = "INVALID_FILE") -> None:
        super().__init__(message)
        self.code = code


def load_directory(directory: Path) -> dict[str, dict[str, Any] | FileError]:
    """``{path: document}`` for every ``*.json`` in ``directory`` (sorted by name); a
    file that is not a JSON object maps to the :class:`FileError` saying so.
    A top-level ``$schema`` is dropped (it names the schema for editors)."""
    documents: dict[str, dict[str, Any] | FileError] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            document = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            documents[str(path)] = FileError(f"not a JSON document: {exc}", "INVALID_JSON")
            continue
        if not isinstance(document, dict):
            documents[str(path)] = FileError("not a JSON object (a definition document)")
            continue
        documents[str(path)] = {k: v for k, v in document.items() if k != "$schema"}
    return documents


def comparable(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as apply compares it: without ``id``, ``version``, ``$schema``."""
    return {k: v for k, v in document.items() if k not in ("id", *IGNORED_KEYS)}


def _ordered(mapping: Mapping[str, Any], first: Sequence[str]) -> list[str]:
    return [k for k in first if k in mapping] + sorted(k for k in mapping if k not in first)


def _canonical_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _canonical_value(value[k]) for k in _ordered(value, ("type",))}
    if isinstance(value, list):
        return [_canonical_value(item) for item in value]
    return value


def _canonical_pipe(pipe: Any) -> Any:
    if isinstance(pipe, list):
        return [_canonical_step(step) for step in pipe]
    if isinstance(pipe, Mapping) and isinstance(pipe.get("steps"), list):
        return {**_canonical_value(pipe), "steps": _canonical_pipe(pipe["steps"])}
    return _canonical_value(pipe)


def _canonical_step(step: Any) -> Any:
    if not isinstance(step, Mapping):
        return _canonical_value(step)
    return {
        key: _canonical_pipe(step[key]) if key in BRANCHES else _canonical_value(step[key])
        for key in _ordered(step, STEP_ORDER)
    }


def canonical(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with its keys in the fixed order (values unchanged)."""
    return {
        key: _canonical_pipe(document[key]) if key == "steps" else _canonical_value(document[key])
        for key in _ordered(document, TOP_ORDER)
        if key not in IGNORED_KEYS
    }


def file_text(document: Mapping[str, Any]) -> str:
    return json.dumps(canonical(document), indent=2, ensure_ascii=False) + "\n"


def slug(name: str) -> str:
    """``Follow up a closed ticket`` -> ``follow-up-a-closed-ticket`` (ASCII, at most 80)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:80].strip("-")
    return text or "workflow"


def file_names(workflows: Sequence[tuple[str, str]]) -> dict[str, str]:
    """``{id: file name}`` for ``(id, name)`` pairs: the name's slug, with the id's
    first 8 characters added to every workflow whose slug another one shares."""
    slugs = {workflow_id: slug(name) for workflow_id, name in workflows}
    counts: dict[str, int] = {}
    for value in slugs.values():
        counts[value] = counts.get(value, 0) + 1
    return {
        workflow_id: f"{value}-{workflow_id[:8]}.json" if counts[value] > 1 else f"{value}.json"
        for workflow_id, value in slugs.items()
    }


def workflow_id_of(document: Mapping[str, Any]) -> str | None:
    """The document's id as a canonical UUID string, None without one; a
    :class:`FileError` when it is not a UUID (the API's ids are)."""
    given = document.get("id")
    if given is None:
        return None
    try:
        return str(uuid.UUID(str(given)))
    except ValueError:
        raise FileError(f"id must be a UUID (the API's workflow ids are), not {given!r}") from None


def publish_order(documents: Mapping[str, Mapping[str, Any]], ids: Mapping[str, str]) -> list[str]:
    """The files in an order where a workflow comes after those it calls
    (``control.callWorkflow``) among these files: a call's target must be published
    first. Otherwise file order; a cycle (refused at publish anyway) keeps file order."""
    by_id = {workflow_id: name for name, workflow_id in ids.items()}
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting:
            return
        visiting.add(name)
        for called in sorted(called_workflows(documents[name].get("steps"))):
            target = by_id.get(called)
            if target is not None:
                visit(target)
        visiting.discard(name)
        ordered.append(name)

    for name in documents:
        visit(name)
    return ordered


@dataclass(frozen=True)
class PlanEntry:
    """What apply will do with one file."""

    file: str
    kind: Kind
    name: str
    workflow_id: str | None  # None: created without an id (the API assigns one)
    changes: dict[str, list[str]] = field(default_factory=dict)  # StepDiff.summary()
    published_version: int | None = None  # the latest before apply
    etag: str | None = None  # of the draft apply read (If-Match on update)
    note: str | None = None

    def wire(self) -> dict[str, Any]:
        return {
            "file": self.file, "action": self.kind, "name": self.name, "id": self.workflow_id,
            "publishedVersion": self.published_version, "changes": self.changes,
            "note": self.note,
        }  # fmt: skip


def plan_entry(
    file: str,
    document: Mapping[str, Any],
    workflow_id: str | None,
    published: Mapping[str, Any] | None,
    published_version: int | None,
    draft: Mapping[str, Any] | None,
    etag: str | None,
) -> PlanEntry:
    """``create`` without a workflow, ``unchanged`` when the file is the latest published
    version, ``change`` otherwise (the step-level diff from that version)."""
    name = str(document.get("name", ""))
    if draft is None:
        changes = diff_steps(None, document).summary()
        return PlanEntry(file, "create", name, workflow_id, changes)
    if published is not None and comparable(published) == comparable(document):
        note = None
        if comparable(draft) != comparable(published):
            note = "its draft has unpublished edits (left as they are)"
        return PlanEntry(file, "unchanged", name, workflow_id, {}, published_version, etag, note)
    changes = diff_steps(published, document).summary()
    if not changes:  # equal by steps and fields but not as documents (say, a step without id)
        changes = {"fields": ["(document)"]}
    note = None if published is not None else "never published"
    return PlanEntry(file, "change", name, workflow_id, changes, published_version, etag, note)


def describe(entry: PlanEntry) -> str:
    """One plan line: ``change  flows/x.json  "Name" (id)  changed: a, b; added: c``."""
    ident = entry.workflow_id or "new id"
    changes = "; ".join(f"{what}: {', '.join(ids)}" for what, ids in entry.changes.items())
    version = f" v{entry.published_version}" if entry.published_version else ""
    tail = f"  {changes}" if changes and entry.kind != "create" else ""
    note = f"  ({entry.note})" if entry.note else ""
    return f"{entry.kind:<9}  {entry.file}  {json.dumps(entry.name)} ({ident}){version}{tail}{note}"
