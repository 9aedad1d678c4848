"""Redacting a whole run envelope (SPEC sections 4 and 10)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import JsonValue

from workflow_core.redaction.cap import DEFAULT_MAX_BYTES, cap_snapshot
from workflow_core.redaction.mask import MASK, redact_sized
from workflow_core.redaction.pointers import format_pointer
from workflow_core.redaction.sensitive import sensitive_pointers_from_schema


def redact_envelope(
    envelope: JsonValue,
    *,
    payload_schema: Mapping[str, Any] | None = None,
    extra_sensitive: Iterable[str] = (),
    mask: str = MASK,
) -> JsonValue:
    """The envelope as operators may see it.

    Masks the envelope's own ``meta.redactions``, the payload fields the
    payload schema marks ``x-sensitive`` (as pointers rooted at ``/payload``),
    and ``extra_sensitive`` (envelope pointers, for example an action's
    sensitive output saved under ``/vars/...``).
    """
    return _redacted(envelope, payload_schema, extra_sensitive, mask)[0]


def snapshot_envelope(envelope: JsonValue, max_bytes: int = DEFAULT_MAX_BYTES) -> JsonValue:
    """What a step's snapshot shows: ``redact_envelope``, then ``cap_snapshot``."""
    visible, size_at_most = _redacted(envelope, None, (), MASK)
    return cap_snapshot(visible, max_bytes, size_at_most=size_at_most)


def _redacted(
    envelope: JsonValue,
    payload_schema: Mapping[str, Any] | None,
    extra_sensitive: Iterable[str],
    mask: str,
) -> tuple[JsonValue, int | None]:
    sensitive = [*extra_sensitive]
    if payload_schema is not None and isinstance(envelope, dict) and "payload" in envelope:
        for pointer in sensitive_pointers_from_schema(payload_schema, envelope["payload"]):
            sensitive.append(format_pointer(["payload"]) + pointer)
    return redact_sized(envelope, [*envelope_redactions(envelope), *sensitive], mask)


def envelope_redactions(envelope: Any) -> list[str]:
    """``meta.redactions`` when it is a list; non-string entries are ignored."""
    meta = envelope.get("meta") if isinstance(envelope, dict) else None
    redactions = meta.get("redactions") if isinstance(meta, dict) else None
    if not isinstance(redactions, list):
        return []
    return [pointer for pointer in redactions if isinstance(pointer, str)]
