"""What operators may see: redaction and snapshot caps (SPEC section 10).

- ``redact(value, pointers=..., sensitive_pointers=...)``: mask pointers,
  ``secretRef`` siblings and sensitive fields, then scrub the masked values
  from every other string.
- ``scrub(value, texts)``: rule 4 alone, for values a service resolved (secrets).
- ``redact_envelope(envelope, payload_schema=...)``: the above with the
  envelope's own ``meta.redactions`` and the payload schema's ``x-sensitive``.
- ``sensitive_pointers_from_schema(schema, instance)``: where a schema's
  ``x-sensitive`` fields sit in one instance.
- ``cap_snapshot(value, max_bytes)``: truncation markers until it fits.
- ``snapshot_envelope(envelope)``: a step snapshot, ``redact_envelope`` then
  ``cap_snapshot`` (the redaction's encoding spares measuring what fits).

Pure functions; none mutates its input.
"""

from workflow_core.redaction.cap import (
    DEFAULT_MAX_BYTES,
    TRUNCATED_KEY,
    cap_snapshot,
    encoded_size,
    truncation_marker,
)
from workflow_core.redaction.envelope import (
    envelope_redactions,
    redact_envelope,
    snapshot_envelope,
)
from workflow_core.redaction.mask import MASK, MIN_SUBSTRING, SECRET_REF, redact, scrub
from workflow_core.redaction.pointers import format_pointer, parse_pointer
from workflow_core.redaction.sensitive import SENSITIVE_KEY, sensitive_pointers_from_schema

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MASK",
    "MIN_SUBSTRING",
    "SECRET_REF",
    "SENSITIVE_KEY",
    "TRUNCATED_KEY",
    "cap_snapshot",
    "encoded_size",
    "envelope_redactions",
    "format_pointer",
    "parse_pointer",
    "redact",
    "redact_envelope",
    "scrub",
    "sensitive_pointers_from_schema",
    "snapshot_envelope",
    "truncation_marker",
]
