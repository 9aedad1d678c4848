"""parse_message on hand-written messages: one test per MIME feature."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from sluice_mail import ParsedEmail, ParseFailure, parse_message

RawEmail = Callable[..., bytes]
LIMIT = 1_000_000
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _parse(raw: bytes) -> ParsedEmail:
    result = parse_message(raw, max_bytes=LIMIT)
    assert isinstance(result, ParsedEmail), result
    return result


def test_parse_simple_message_reads_headers_and_body(raw_email: RawEmail) -> None:
    parsed = _parse(raw_email())
    assert parsed.message_id == "abc.123@mail.example.com"
    assert not parsed.synthetic_message_id
    assert parsed.from_address.email == "jane@customer.example"
    assert parsed.from_address.name == "Jane Customer"
    assert [a.email for a in parsed.to] == ["help@acme.example"]
    assert parsed.subject == "Printer broken"
    assert parsed.text == "Hello,\nmy printer is broken.\n"
    assert parsed.html is None
    assert parsed.received_at == datetime(2025, 3, 3, 10, 15, tzinfo=timezone(timedelta(hours=1)))


def test_parse_encoded_headers_decodes_words(raw_email: RawEmail) -> None:
    headers = {
        "Subject": "=?UTF-8?B?RHJ1Y2tlciBrYXB1dHQg4oCTIGRyaW5nZW5k?=",
        "From": "=?ISO-8859-1?Q?J=FCrgen_M=FCller?= <jm@kunde.example>",
        "Cc": "=?utf-8?q?Zo=C3=AB?= <zoe@kunde.example>, plain@kunde.example",
    }
    parsed = _parse(raw_email(headers=headers))
    assert parsed.subject == "Drucker kaputt \u2013 dringend"
    assert parsed.from_address.name == "Jürgen Müller"
    assert [(a.email, a.name) for a in parsed.cc] == [
        ("zoe@kunde.example", "Zoë"),
        ("plain@kunde.example", None),
    ]


def test_parse_latin1_body_decodes_declared_charset(raw_email: RawEmail) -> None:
    raw = raw_email(body="", content_type="text/plain; charset=iso-8859-1")
    parsed = _parse(raw + "Grüße aus Köln\n".encode("latin-1"))
    assert parsed.text == "Grüße aus Köln\n"
    assert parsed.warnings == ()


def test_parse_bad_charset_falls_back_without_crashing(raw_email: RawEmail) -> None:
    raw = raw_email(body="", content_type="text/plain; charset=no-such-charset-42")
    parsed = _parse(raw + "Straße café\n".encode())
    assert parsed.text == "Straße café\n"
    assert any("decoded as utf-8" in w for w in parsed.warnings)


def test_parse_wrong_charset_falls_back_to_cp1252(raw_email: RawEmail) -> None:
    raw = raw_email(body="", content_type="text/plain; charset=us-ascii")
    parsed = _parse(raw + "caf\xe9 \x93quoted\x94\n".encode("latin-1"))
    assert parsed.text == "café “quoted”\n"
    assert any("cp1252" in w for w in parsed.warnings)


def test_parse_crlf_message_normalises_line_endings(raw_email: RawEmail) -> None:
    parsed = _parse(raw_email(body="line one\nline two\n", crlf=True))
    assert parsed.text == "line one\nline two\n"
    assert parsed.subject == "Printer broken"


def test_parse_missing_message_id_gets_synthetic_stable_id(raw_email: RawEmail) -> None:
    lf = _parse(raw_email(message_id=None))
    crlf = _parse(raw_email(message_id=None, crlf=True))
    other = _parse(raw_email(message_id=None, body="different\n"))
    assert lf.synthetic_message_id
    assert lf.message_id.startswith("synthetic-")
    assert lf.message_id.endswith("@sluice.invalid")
    assert lf.message_id == crlf.message_id  # same mail via SMTP (CRLF) and HTTP (LF)
    assert lf.message_id != other.message_id


def test_parse_message_id_strips_brackets_and_spaces(raw_email: RawEmail) -> None:
    parsed = _parse(raw_email(message_id="  < spaced@id.example >  "))
    assert parsed.message_id == "spaced@id.example"


def test_parse_threading_headers_are_normalised(raw_email: RawEmail) -> None:
    headers = {
        "In-Reply-To": "<ack-1@acme.example>",
        "References": "<first@x.example>\n <ack-1@acme.example> <first@x.example>",
        "Thread-Index": "AdN0aGVhZGluZGV4",
    }
    parsed = _parse(raw_email(headers=headers))
    assert parsed.in_reply_to == "ack-1@acme.example"
    assert parsed.references == ("first@x.example", "ack-1@acme.example")
    assert parsed.thread_id == "AdN0aGVhZGluZGV4"


def _multipart(boundary: str, parts: list[str]) -> str:
    inner = "".join(f"--{boundary}\n{part}\n" for part in parts)
    return f"{inner}--{boundary}--\n"


def test_parse_alternative_takes_text_and_html(raw_email: RawEmail) -> None:
    body = _multipart(
        "alt",
        [
            "Content-Type: text/plain; charset=utf-8\n\nplain version",
            "Content-Type: text/html; charset=utf-8\n\n<p>html <b>version</b></p>",
        ],
    )
    parsed = _parse(raw_email(body=body, content_type='multipart/alternative; boundary="alt"'))
    assert parsed.text == "plain version"
    assert parsed.html == "<p>html <b>version</b></p>"
    assert parsed.attachments == ()


def _inline_image_message(raw_email: RawEmail) -> bytes:
    image = base64.encodebytes(PNG).decode()
    related = _multipart(
        "rel",
        [
            'Content-Type: text/html; charset=utf-8\n\n<p>See <img src="cid:shot1@acme"></p>',
            "Content-Type: image/png\nContent-Transfer-Encoding: base64\n"
            f"Content-ID: <shot1@acme>\nContent-Disposition: inline\n\n{image}",
        ],
    )
    alternative = _multipart(
        "alt",
        [
            "Content-Type: text/plain; charset=utf-8\n\nSee the screenshot",
            f'Content-Type: multipart/related; boundary="rel"\n\n{related}',
        ],
    )
    report = "Content-Type: application/pdf; name=r.pdf\nContent-Transfer-Encoding: base64\n"
    report += "Content-Disposition: attachment;\n filename*=utf-8''Rechnung%20M%C3%A4rz.pdf\n\n"
    report += base64.encodebytes(b"%PDF-1.4 fake").decode()
    mixed = _multipart(
        "mix", [f'Content-Type: multipart/alternative; boundary="alt"\n\n{alternative}', report]
    )
    return raw_email(body=mixed, content_type='multipart/mixed; boundary="mix"')


def test_parse_nested_multipart_finds_bodies_and_inline_image(raw_email: RawEmail) -> None:
    parsed = _parse(_inline_image_message(raw_email))
    assert parsed.text == "See the screenshot"
    assert parsed.html == '<p>See <img src="cid:shot1@acme"></p>'
    image, pdf = parsed.attachments
    assert (image.content_type, image.content_id, image.inline) == ("image/png", "shot1@acme", True)
    assert image.data == PNG
    assert image.size == len(PNG)
    assert image.sha256 == hashlib.sha256(PNG).hexdigest()
    assert image.part_id == "1.1.2.2"
    assert (pdf.filename, pdf.content_type, pdf.inline) == (
        "Rechnung März.pdf",
        "application/pdf",
        False,
    )
    assert pdf.data == b"%PDF-1.4 fake"


def test_parse_forwarded_message_is_kept_as_attachment(raw_email: RawEmail) -> None:
    inner = "From: Bob <bob@x.example>\nSubject: Original problem\nMessage-ID: <o@x>\n\nOld text"
    body = _multipart(
        "fwd",
        [
            "Content-Type: text/plain\n\nSee below.",
            f"Content-Type: message/rfc822\n\n{inner}",
        ],
    )
    parsed = _parse(raw_email(body=body, content_type='multipart/mixed; boundary="fwd"'))
    assert parsed.text == "See below."
    (forwarded,) = parsed.attachments
    assert forwarded.content_type == "message/rfc822"
    assert forwarded.filename == "Original problem.eml"
    assert b"Old text" in forwarded.data
    assert b"bob@x.example" in forwarded.data


def test_parse_html_only_mail_has_no_text(raw_email: RawEmail) -> None:
    parsed = _parse(raw_email(body="<p>Only HTML</p>", content_type="text/html; charset=utf-8"))
    assert parsed.text is None
    assert parsed.html == "<p>Only HTML</p>"


def test_parse_date_without_zone_is_utc(raw_email: RawEmail) -> None:
    parsed = _parse(raw_email(headers={"Date": "Mon, 03 Mar 2025 10:15:00 -0000"}))
    assert parsed.received_at == datetime(2025, 3, 3, 10, 15, tzinfo=UTC)


def test_parse_bad_date_leaves_received_at_empty(raw_email: RawEmail) -> None:
    parsed = _parse(raw_email(headers={"Date": "yesterday-ish, around noon"}))
    assert parsed.received_at is None


def test_parse_missing_sender_is_failure_with_reason(raw_email: RawEmail) -> None:
    result = parse_message(raw_email(headers={"From": "undisclosed"}), max_bytes=LIMIT)
    assert isinstance(result, ParseFailure)
    assert "sender" in result.reason
    assert result.message_id == "abc.123@mail.example.com"


def test_parse_not_rfc822_is_failure() -> None:
    result = parse_message(b"\x00\x01 just some binary junk without headers", max_bytes=LIMIT)
    assert isinstance(result, ParseFailure)
    assert result.reason


def test_parse_empty_message_is_failure() -> None:
    result = parse_message(b"  \r\n", max_bytes=LIMIT)
    assert result == ParseFailure("empty message")


def test_parse_oversized_message_is_failure(raw_email: RawEmail) -> None:
    raw = raw_email(body="x" * 5000)
    result = parse_message(raw, max_bytes=1000)
    assert isinstance(result, ParseFailure)
    assert "over the limit of 1000" in result.reason


def test_parse_broken_base64_attachment_does_not_crash(raw_email: RawEmail) -> None:
    body = _multipart(
        "b",
        [
            "Content-Type: text/plain\n\nbody",
            "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n!!!@@@",
        ],
    )
    parsed = _parse(raw_email(body=body, content_type='multipart/mixed; boundary="b"'))
    assert parsed.text == "body"
    assert len(parsed.attachments) == 1
    assert parsed.attachments[0].filename == "part-1.2.bin"
