"""parse_message never raises, whatever the bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sluice_mail import ParsedEmail, ParseFailure, parse_message, to_payload
from workflow_core.json_schema import violations
from workflow_core.registry import EMAIL_PAYLOAD_SCHEMA

_HEADER_LINES = st.lists(
    st.sampled_from(
        [
            b"From: a@b.example",
            b"From: =?utf-8?q?=ZZ?= <x@y>",
            b"To: ,,,<>",
            b"Subject: =?x?",
            b"Content-Type: multipart/mixed; boundary=b",
            b"Content-Type: text/plain; charset=zz",
            b"Content-Transfer-Encoding: base64",
            b"Message-ID: <<>>",
            b"Date: 99 Foo 99999",
            b"--b",
            b"--b--",
            b"Content-Type: message/rfc822",
            b"",
            b"\xff\xfe\x00",
            b"References: <a> <b",
            b"Auto-Submitted:",
            b"Content-Disposition: attachment; filename*=x",
        ]
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_parse_arbitrary_bytes_never_raises(raw: bytes) -> None:
    result = parse_message(raw, max_bytes=3000)
    assert isinstance(result, ParsedEmail | ParseFailure)


@settings(max_examples=300, deadline=None)
@given(_HEADER_LINES, st.binary(max_size=500))
def test_parse_header_soup_never_raises_and_payload_is_valid(
    lines: list[bytes], tail: bytes
) -> None:
    result = parse_message(b"\n".join(lines) + b"\n" + tail, max_bytes=100_000)
    assert isinstance(result, ParsedEmail | ParseFailure)
    if isinstance(result, ParsedEmail):
        assert violations(EMAIL_PAYLOAD_SCHEMA, to_payload(result, "p")) == []
    else:
        assert result.reason
