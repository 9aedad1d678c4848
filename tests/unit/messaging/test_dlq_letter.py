"""Dead-letter construction: headers carry reason and source position."""

from __future__ import annotations

from dataclasses import dataclass

from sluice_messaging.dlq import (
    HEADER_OFFSET,
    HEADER_PARTITION,
    HEADER_REASON,
    HEADER_TOPIC,
    MAX_REASON_CHARS,
    UNKNOWN_TENANT,
    dead_letter_for,
    guess_tenant,
)


@dataclass(frozen=True)
class Record:
    topic: str = "wf.events"
    partition: int = 3
    offset: int = 17
    key: bytes | None = b"k"
    value: bytes | None = b'{"tenantId": "acme", "junk": true}'


def test_dead_letter_headers_name_reason_and_source() -> None:
    letter = dead_letter_for(Record(), "invalid envelope: v: Field required")
    headers = dict(letter.headers)
    assert headers[HEADER_REASON] == b"invalid envelope: v: Field required"
    assert headers[HEADER_TOPIC] == b"wf.events"
    assert headers[HEADER_PARTITION] == b"3"
    assert headers[HEADER_OFFSET] == b"17"
    assert letter.value == Record.value  # original bytes, untouched
    assert letter.tenant_id == "acme"


def test_dead_letter_reason_is_capped() -> None:
    letter = dead_letter_for(Record(), "x" * (MAX_REASON_CHARS + 50))
    assert len(letter.reason) == MAX_REASON_CHARS


def test_guess_tenant_falls_back_for_unreadable_or_invalid_values() -> None:
    assert guess_tenant(b"\xff") == UNKNOWN_TENANT
    assert guess_tenant(None) == UNKNOWN_TENANT
    assert guess_tenant(b"[1]") == UNKNOWN_TENANT
    assert guess_tenant(b'{"tenantId": "Not A Slug"}') == UNKNOWN_TENANT
    assert guess_tenant(b'{"tenantId": "t-1"}') == "t-1"
