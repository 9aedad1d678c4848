"""The envelope (SPEC section 4): creation, expression context, all-or-nothing writes.

Write paths are dot paths (``payload.a.b``, ``vars.x``) or JSON pointers
(``/payload/a/b``), only under ``payload``, ``vars`` or ``meta``, and never the
root itself. Missing objects on the way are created; a numeric segment indexes
an existing array element and ``-`` appends. ``meta.redactions`` can only grow.
Values are deep-copied on write so no two places of the envelope share objects.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import JsonValue

from workflow_core.interpreter.failures import StepFailureError, validation_error
from workflow_core.interpreter.wire import iso
from workflow_core.redaction import sensitive_pointers_from_schema

WRITABLE_ROOTS = frozenset({"payload", "vars", "meta"})
Envelope = dict[str, Any]


def new_envelope(
    *,
    run_id: str,
    workflow_id: str,
    workflow_version: int,
    started_at: datetime,
    payload: Mapping[str, JsonValue],
    trace_id: str | None,
    tags: Mapping[str, str],
) -> Envelope:
    return {
        "v": 1,
        "run": {
            "id": run_id,
            "workflowId": workflow_id,
            "workflowVersion": workflow_version,
            "startedAt": iso(started_at),
        },
        "payload": copy.deepcopy(dict(payload)),
        "vars": {},
        "meta": {"state": None, "traceId": trace_id, "tags": dict(tags), "redactions": []},
        "error": None,
    }


def expression_context(envelope: Envelope, **extra: Any) -> dict[str, Any]:
    """SPEC section 5: ``payload``, ``vars``, ``meta``, ``error`` (+ ``event`` in a wait)."""
    context = {name: envelope.get(name) for name in ("payload", "vars", "meta", "error")}
    context.update(extra)
    return context


def parse_path(path: str) -> list[str]:
    """Segments of a write path, root first; a bad path is a ValidationError."""
    if path.startswith("/"):
        segments = [s.replace("~1", "/").replace("~0", "~") for s in path[1:].split("/")]
    else:
        segments = path.split(".")
    if len(segments) < 2 or segments[0] not in WRITABLE_ROOTS:
        raise _bad_path(path, "must name a field under payload, vars or meta")
    if not path.startswith("/") and "" in segments:
        raise _bad_path(path, "a dot path has no empty segments")
    return segments


def write_all(envelope: Envelope, writes: Sequence[tuple[str, Any]]) -> Envelope:
    """A new envelope with every write applied, or StepFailureError with none applied."""
    parsed = [(parse_path(path), path, value) for path, value in writes]
    result = dict(envelope)
    for root in {segments[0] for segments, _, _ in parsed}:
        result[root] = copy.deepcopy(envelope[root])
    for segments, path, value in parsed:
        _write(result, segments, path, copy.deepcopy(value))
    _check_redactions(envelope, result)
    return result


def mark_sensitive_payload(envelope: Envelope, schema: Mapping[str, Any] | None) -> None:
    """Grow ``meta.redactions`` by the payload fields the payload schema marks ``x-sensitive``.

    Done when the payload is set or rewritten, not per snapshot: snapshots then
    only apply ``meta.redactions``, and the schema walk runs once, not per step.
    """
    if schema is None:
        return
    found = ["/payload" + p for p in sensitive_pointers_from_schema(schema, envelope["payload"])]
    current = list(envelope["meta"].get("redactions") or [])
    grown = current + [p for p in found if p not in current]
    if len(grown) != len(current):
        envelope["meta"] = {**envelope["meta"], "redactions": grown}


def _write(envelope: Envelope, segments: list[str], path: str, value: Any) -> None:
    container: Any = envelope[segments[0]]
    for segment in segments[1:-1]:
        if isinstance(container, dict):
            if container.get(segment) is None:
                container[segment] = {}
            container = container[segment]
        elif isinstance(container, list):
            container = container[_index(container, segment, path)]
        else:
            raise _bad_path(path, f"{segment!r} is inside a value that is not an object")
        if not isinstance(container, dict | list):
            raise _bad_path(path, f"{segment!r} is not an object or array")
    _put(container, segments[-1], path, value)


def _put(container: Any, key: str, path: str, value: Any) -> None:
    if isinstance(container, dict):
        container[key] = value
    elif isinstance(container, list) and key == "-":
        container.append(value)
    elif isinstance(container, list):
        container[_index(container, key, path)] = value
    else:
        raise _bad_path(path, "its parent is not an object or array")


def _index(container: list[Any], segment: str, path: str) -> int:
    if not segment.isdigit() or int(segment) >= len(container):
        raise _bad_path(path, f"{segment!r} is not an index of the array")
    return int(segment)


def _check_redactions(before: Envelope, after: Envelope) -> None:
    old = before.get("meta", {}).get("redactions") or []
    new = after.get("meta", {}).get("redactions")
    if not isinstance(new, list) or not all(isinstance(p, str) for p in new):
        raise StepFailureError(
            validation_error("INVALID_REDACTIONS", "meta.redactions must be a list of pointers")
        )
    if not set(old) <= set(new):
        raise StepFailureError(
            validation_error("INVALID_REDACTIONS", "meta.redactions can only grow, not shrink")
        )


def _bad_path(path: str, why: str) -> StepFailureError:
    return StepFailureError(
        validation_error("INVALID_ASSIGN_PATH", f"invalid write path {path!r}: {why}", path=path)
    )
