"""The reduced letter Kafka gets when it refused the whole one: small, and says what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.record.default_records import DefaultRecordBatchBuilder
from sluice_messaging.dlq import (
    HEADER_KEY_DROPPED,
    HEADER_NOT_PUBLISHED,
    HEADER_REASON,
    HEADER_REFUSED,
    HEADER_VALUE_DROPPED,
    MAX_KEPT_KEY_BYTES,
    MAX_REFUSAL_CHARS,
    dead_letter_for,
    not_published,
    reduced_letter,
)


@dataclass(frozen=True)
class Record:
    key: bytes | None = b"run-1"
    value: bytes | None = b'{"tenantId": "acme", "pad": "' + b"x" * 900_000 + b'"}'
    topic: str = "wf.run-commands"
    partition: int = 2
    offset: int = 40


def test_reduced_letter_drops_the_value_and_keeps_reason_key_and_source() -> None:
    letter = dead_letter_for(Record(), "invalid run command: body: Field required")
    reduced = reduced_letter(letter, "MessageSizeTooLargeError: [Error 10]")
    headers = dict(reduced.headers)
    assert reduced.value is None
    assert reduced.key == b"run-1"
    assert headers[HEADER_VALUE_DROPPED] == str(len(Record.value or b"")).encode()
    assert headers[HEADER_REFUSED] == b"MessageSizeTooLargeError: [Error 10]"
    assert headers[HEADER_REASON] == b"invalid run command: body: Field required"
    assert set(letter.headers) <= set(reduced.headers)  # source position and tenant kept
    assert HEADER_KEY_DROPPED not in headers
    assert (reduced.tenant_id, reduced.reason) == (letter.tenant_id, letter.reason)


def test_reduced_letter_drops_a_large_key_and_caps_the_refusal() -> None:
    big_key = b"k" * (MAX_KEPT_KEY_BYTES + 1)
    letter = dead_letter_for(Record(key=big_key), "x" * 5000)
    reduced = reduced_letter(letter, "y" * 5000)
    headers = dict(reduced.headers)
    assert reduced.key is None
    assert headers[HEADER_KEY_DROPPED] == str(len(big_key)).encode()
    assert len(headers[HEADER_REFUSED]) == MAX_REFUSAL_CHARS
    # Whatever the message held, the reduced letter is a few kilobytes at most.
    size = DefaultRecordBatchBuilder.estimate_size_in_bytes(None, None, reduced.headers)
    assert size < 4096


def test_reduced_letter_of_a_null_value_says_nothing_was_dropped() -> None:
    reduced = reduced_letter(dead_letter_for(Record(value=None), "empty"), "refused")
    assert HEADER_VALUE_DROPPED not in dict(reduced.headers)


def test_not_published_marks_the_letter_and_keeps_its_bytes() -> None:
    letter = dead_letter_for(Record(), "bad")
    kept = not_published(letter, "TopicAuthorizationFailedError: no")
    assert dict(kept.headers)[HEADER_NOT_PUBLISHED] == b"TopicAuthorizationFailedError: no"
    assert (kept.key, kept.value) == (letter.key, letter.value)
