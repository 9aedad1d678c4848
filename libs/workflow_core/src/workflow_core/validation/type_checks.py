"""What the type analysis reports, and how it says it.

- A read path that cannot exist where it is read: ``UNKNOWN_PAYLOAD_PATH``
  under ``payload`` (its wording of old), ``UNKNOWN_VARIABLE`` for a
  ``vars`` name no step writes (or ``event`` outside an event wait),
  ``READ_BEFORE_WRITE`` for one only written later, ``UNKNOWN_FIELD`` for
  anything else (a field an action's output does not have, a ``meta`` field,
  ``error`` outside a catch). "Did you mean" comes from the names that are
  there.
- ``MAYBE_UNDEFINED``: a value read where it is written on some paths only,
  unguarded (see ``typeflow.infer``).
- ``TYPE_MISMATCH``: a comparison of kinds that can never be equal, an action
  argument of a kind its input schema refuses, forEach items that are not an
  array, a write through a scalar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow_core.errors import PublishCode
from workflow_core.typeflow import Miss, Shape, describe, read, shape_of_schema
from workflow_core.validation.report import did_you_mean
from workflow_core.validation.scopes import StepScope

# Codes whose findings are warnings, or errors under ``"strictTypes": true``.
TYPE_CODES = frozenset(
    {
        PublishCode.UNKNOWN_PAYLOAD_PATH,
        PublishCode.UNKNOWN_VARIABLE,
        PublishCode.UNKNOWN_FIELD,
        PublishCode.READ_BEFORE_WRITE,
        PublishCode.MAYBE_UNDEFINED,
        PublishCode.TYPE_MISMATCH,
    }
)
CONTEXT_NAMES = ("payload", "vars", "meta", "error")


@dataclass(frozen=True)
class ReadCheck:
    """Reads at one step, checked against its scope."""

    scope: StepScope
    var_writers: Mapping[str, Sequence[str]]
    payload_ref: str | None

    def problem(self, path: Sequence[str], *, event: bool) -> tuple[PublishCode, str] | None:
        dotted = ".".join(path)
        if path[0] == "event" and not event:
            return (
                PublishCode.UNKNOWN_VARIABLE,
                f"{dotted}: 'event' only exists in an event.wait's assign expressions",
            )
        found = read(self.scope.env.context(event=event), path)
        if not isinstance(found, Miss):
            return None
        return self._explain(path, found, dotted)

    def _explain(self, path: Sequence[str], miss: Miss, dotted: str) -> tuple[PublishCode, str]:
        name, depth = path[miss.depth], miss.depth
        parent = ".".join(path[:depth])
        hint = did_you_mean(name, miss.declared)
        if depth == 0:
            message = (
                f"{dotted}: {name!r} is not in the expression context ({', '.join(CONTEXT_NAMES)})"
            )
            return PublishCode.UNKNOWN_FIELD, message + did_you_mean(name, CONTEXT_NAMES)
        if path[0] == "payload" and self.payload_ref is not None:
            return PublishCode.UNKNOWN_PAYLOAD_PATH, self._payload(path, miss, dotted)
        if path[0] == "vars" and depth == 1:
            return self._variable(name, dotted, miss)
        if miss.kind == "scalar":
            kinds = describe(miss.parent)
            where = " (error is only set inside a catch)" if path[0] == "error" else ""
            message = f"{dotted}: {parent} holds {kinds} here, so it has no field {name!r}{where}"
            return PublishCode.UNKNOWN_FIELD, message
        shown = miss.parent.origin not in (None, parent)
        origin = f" ({miss.parent.origin})" if shown else ""
        if miss.kind == "closed":
            return (
                PublishCode.UNKNOWN_FIELD,
                f"{dotted}: {parent}{origin} has no field {name!r}{hint}",
            )
        return (
            PublishCode.UNKNOWN_FIELD,
            f"{dotted}: {name!r} is not declared in {parent}{origin}{hint}",
        )

    def _variable(self, name: str, dotted: str, miss: Miss) -> tuple[PublishCode, str]:
        writers = self.var_writers.get(name)
        if writers:
            listed = ", ".join(writers[:3])
            message = (
                f"{dotted}: vars.{name} is read before any step writes it (written at {listed})"
            )
            return PublishCode.READ_BEFORE_WRITE, message
        hint = did_you_mean(name, [*miss.declared, *self.var_writers])
        return (
            PublishCode.UNKNOWN_VARIABLE,
            f"{dotted}: vars.{name} is never written by any step{hint}",
        )

    def _payload(self, path: Sequence[str], miss: Miss, dotted: str) -> str:
        return payload_reason(path, miss, dotted, self.payload_ref or "")


def payload_reason(path: Sequence[str], miss: Miss, dotted: str, ref: str) -> str:
    """The payload wording: ``'emialData' is not declared in <ref> (did you mean ...)``."""
    name, depth = path[miss.depth], miss.depth
    parent = ".".join(path[:depth])
    if miss.kind == "scalar":
        kinds = describe(miss.parent)
        kinds = kinds.replace(" or null", "") if kinds != "null" else kinds
        return f"{dotted}: {parent} holds {kinds} values, so it has no field {name!r}"
    where = f" under {parent}" if depth > 1 else ""
    return f"{dotted}: {name!r} is not declared in {ref}{where}{did_you_mean(name, miss.declared)}"


def undeclared_reason(schema: Mapping[str, Any], ref: str, path: Sequence[str]) -> str | None:
    """Why ``path`` (rooted at ``payload``) is not in ``schema``, or None when it may exist."""
    names = [segment for segment in path[1:] if not segment.isdigit()]
    if any(segment in ("*", "**") for segment in names):
        names = names[: names.index("*" if "*" in names else "**")]
    found = read(shape_of_schema(schema), names)
    if not isinstance(found, Miss):
        return None
    shifted = Miss(found.depth + 1, found.kind, found.parent, found.declared)
    full = ["payload", *names]
    return payload_reason(full, shifted, ".".join(path), ref)


def mismatch(value: Shape, expected: Shape) -> bool:
    """True when no value of ``value`` can be of a kind ``expected`` allows."""
    if value.unknown or expected.unknown or value.is_never or expected.is_never:
        return False
    return not (value.kinds() & expected.kinds())
