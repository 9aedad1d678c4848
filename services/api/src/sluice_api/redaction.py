"""What operators may see of a run (SPEC 10), built on the core's redaction.

Snapshots are stored redacted by the engine. Everything else shown from a run
(its error, step errors, invocation input/output, logs, runtime events) is
redacted here with the run's own secrets: the values at the envelope's
``meta.redactions`` and its payload's ``x-sensitive`` fields are masked
wherever they appear, also inside longer strings such as error messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_core.redaction import envelope_redactions, redact, sensitive_pointers_from_schema

_ENVELOPE = "envelope"
_VALUE = "value"


class RunRedactor:
    def __init__(
        self, run_state: Mapping[str, Any], payload_schema: Mapping[str, Any] | None = None
    ) -> None:
        envelope = run_state.get("envelope")
        self._envelope: Any = envelope if isinstance(envelope, dict) else {}
        pointers = [f"/{_ENVELOPE}{p}" for p in envelope_redactions(self._envelope)]
        payload = self._envelope.get("payload")
        if payload_schema is not None and payload is not None:
            found = sensitive_pointers_from_schema(payload_schema, payload)
            pointers += [f"/{_ENVELOPE}/payload{p}" for p in found]
        self._pointers = pointers

    def __call__(self, value: Any) -> Any:
        """``value`` with the run's secrets masked (the envelope rides along to
        supply them and is dropped again)."""
        if value is None:
            return None
        both = redact({_ENVELOPE: self._envelope, _VALUE: value}, pointers=self._pointers)
        assert isinstance(both, dict)
        return both[_VALUE]
