"""Envelope codec: round trip, wire names, and errors that say what is wrong."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from sluice_messaging import Envelope, EnvelopeError, decode, encode, new_envelope, to_wire

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def _wire(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "v": 1,
        "id": str(uuid.uuid4()),
        "type": "run.command",
        "tenantId": "acme",
        "occurredAt": "2025-01-02T03:04:05Z",
        "body": {"a": 1},
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_encode_decode_round_trips_exactly() -> None:
    env = new_envelope("run.command", "acme", {"x": [1, "é"]}, occurred_at=NOW, run_id=uuid.uuid4())
    assert decode(encode(env)) == env


def test_encode_uses_camel_case_and_omits_absent_run_id() -> None:
    env = new_envelope("run.command", "acme", {}, occurred_at=NOW)
    wire = json.loads(encode(env))
    assert set(wire) == {"v", "id", "type", "tenantId", "occurredAt", "body"}
    assert wire["v"] == 1
    assert to_wire(env)["tenantId"] == "acme"


def test_new_envelope_keeps_a_given_message_id() -> None:
    mid = uuid.uuid4()
    assert new_envelope("t", "acme", {}, occurred_at=NOW, message_id=mid).id == mid


def test_decode_rejects_non_json_with_position() -> None:
    with pytest.raises(EnvelopeError, match=r"not JSON: .* line 1 column 2"):
        decode(b"{oops")


def test_decode_rejects_non_utf8() -> None:
    with pytest.raises(EnvelopeError, match="not UTF-8"):
        decode(b"\xff\xfe{}")


def test_decode_rejects_null_value() -> None:
    with pytest.raises(EnvelopeError, match="empty"):
        decode(None)


def test_decode_rejects_json_that_is_not_an_object() -> None:
    with pytest.raises(EnvelopeError, match="must be a JSON object, got list"):
        decode(b"[1, 2]")


def test_decode_names_each_missing_field() -> None:
    with pytest.raises(EnvelopeError) as info:
        decode(json.dumps(_wire(tenantId=None, occurredAt=None)).encode())
    assert "tenantId: Field required" in info.value.problems
    assert "occurredAt: Field required" in info.value.problems
    assert info.value.code == "INVALID_MESSAGE"


def test_decode_rejects_unknown_version() -> None:
    with pytest.raises(EnvelopeError, match=r"v: Input should be 1"):
        decode(json.dumps(_wire(v=2)).encode())


def test_decode_rejects_bad_tenant_slug_and_bad_uuid() -> None:
    with pytest.raises(EnvelopeError) as info:
        decode(json.dumps(_wire(tenantId="Acme Corp", id="nope")).encode())
    paths = {p.split(":")[0] for p in info.value.problems}
    assert paths == {"id", "tenantId"}


def test_decode_rejects_naive_timestamp() -> None:
    with pytest.raises(EnvelopeError, match="occurredAt"):
        decode(json.dumps(_wire(occurredAt="2025-01-02T03:04:05")).encode())


def test_decode_rejects_snake_case_and_unknown_fields() -> None:
    data = _wire(tenantId=None)
    data["tenant_id"] = "acme"
    with pytest.raises(EnvelopeError) as info:
        decode(json.dumps(data).encode())
    assert "tenantId: Field required" in info.value.problems
    assert any(p.startswith("tenant_id:") for p in info.value.problems)


def test_envelope_is_immutable() -> None:
    env = new_envelope("t", "acme", {}, occurred_at=NOW)
    with pytest.raises(ValueError, match="frozen"):
        env.type = "other"  # type: ignore[misc]  # proving the model refuses it
    assert isinstance(env, Envelope)
