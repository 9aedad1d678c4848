"""Messages breaking the JSON input rule (NaN, Infinity, 1e400, U+0000, lone surrogates)
are refused by name at decoding."""

from __future__ import annotations

import json
import uuid

import pytest
from sluice_messaging import EnvelopeError, decode, parse_event_message

HOLE = "@number@"


def wire_with(literal: str, **body: object) -> bytes:
    """An otherwise valid command envelope with ``literal`` written where ``HOLE`` is."""
    data = {"v": 1, "id": str(uuid.uuid4()), "type": "run.command", "tenantId": "acme",
            "runId": str(uuid.uuid4()), "occurredAt": "2025-01-02T03:04:05Z",
            "body": body}  # fmt: skip
    return json.dumps(data).replace(json.dumps(HOLE), literal).encode()


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        ("NaN", "NaN is not a JSON number"),
        ("Infinity", "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("1e400", "1e400 is too large: beyond 1.8e308 a number is Infinity, not a JSON number"),
        ('"ok\\u0000"', "U+0000 (NUL) is not allowed in text"),  # run-commands: the same rule
        ('"\\udc00"', "a lone surrogate (U+DC00) is not Unicode text"),
    ],
    ids=["nan", "infinity", "minus_infinity", "overflow", "nul", "lone_surrogate"],
)
def test_envelope_breaking_the_input_rule_is_refused_naming_its_place(
    literal: str, reason: str
) -> None:
    raw = wire_with(literal, output={"items": [1, {"score": HOLE}]})
    with pytest.raises(EnvelopeError) as caught:
        decode(raw)
    assert caught.value.problems == (f"body.output.items.1.score: {reason}",)
    assert str(caught.value) == (
        f"message breaks the JSON input rule: body.output.items.1.score: {reason}"
    )


def test_bare_event_with_nan_is_refused_as_an_event_message() -> None:
    raw = b'{"tenantId": "acme", "eventName": "E", "correlationKey": "k", "payload": {"a": NaN}}'
    reason = r"^event message breaks the JSON input rule: payload\.a: NaN is not"
    with pytest.raises(EnvelopeError, match=reason):
        parse_event_message(raw)


def test_finite_extremes_still_decode() -> None:
    envelope = decode(wire_with("1.7e308", n=HOLE, tiny=1e-320, text="NaN"))
    assert envelope.body == {"n": 1.7e308, "tiny": 1e-320, "text": "NaN"}
