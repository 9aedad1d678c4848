"""Hand-written messages for the email toolkit tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

RawEmail = Callable[..., bytes]


def _build(
    body: str = "Hello,\nmy printer is broken.\n",
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "text/plain; charset=utf-8",
    crlf: bool = False,
    message_id: str | None = "<abc.123@mail.example.com>",
) -> bytes:
    fields = {
        "From": "Jane Customer <jane@customer.example>",
        "To": "Help Desk <help@acme.example>",
        "Subject": "Printer broken",
        "Date": "Mon, 03 Mar 2025 10:15:00 +0100",
        "MIME-Version": "1.0",
        "Content-Type": content_type,
    }
    if message_id is not None:
        fields["Message-ID"] = message_id
    fields.update(headers or {})
    lines = [f"{k}: {v}" for k, v in fields.items() if v != ""] + ["", body]
    text = "\n".join(lines)
    if crlf:
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8", "surrogateescape")


@pytest.fixture
def raw_email() -> RawEmail:
    """Factory: a simple, valid message; override headers, body, content type, line endings."""
    return _build
