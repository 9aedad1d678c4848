"""parse_email_reply: quotes and signatures stripped, token found, never fails."""

from __future__ import annotations

from typing import Any

import pytest
from sluice_mail import find_reply_token, format_reply_token, new_reply_token, parse_email_reply
from sluice_mail import reply as reply_module

TOKEN = new_reply_token(bytes(range(10)))
ACK = (
    f"Hello Jane,\nwe received your request.\nReference: {format_reply_token(TOKEN)}\nThe Help Desk"
)


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.split("\n"))


def test_reply_token_has_documented_format() -> None:
    assert TOKEN == "SLU-AAAQEAYEAUDAOCAJ"
    assert format_reply_token(TOKEN) == "[SLU-AAAQEAYEAUDAOCAJ]"
    with pytest.raises(ValueError, match="10 random bytes"):
        new_reply_token(b"short")


def test_reply_token_found_case_insensitive_and_spaced() -> None:
    assert find_reply_token(None, "x [ slu-aaaqeayeaudaocaj ] y") == TOKEN
    assert find_reply_token("no token here", "[SLU-TOOSHORT]") is None


def test_reply_gmail_style_quote_is_stripped_and_token_kept() -> None:
    text = (
        "Thanks, that fixed it!\n\nBest regards,\nJane\n\n"
        f"On Mon, 3 Mar 2025 at 10:00, Help Desk <help@acme.example> wrote:\n{_quoted(ACK)}\n"
    )
    result = parse_email_reply(text, None)
    assert result["sanitizedText"] == "Thanks, that fixed it!"
    assert result["confidence"] == "high"
    assert result["metadata"]["tokens"]["conversationToken"] == TOKEN
    assert "sanitizedHtml" not in result


def test_reply_outlook_style_quote_with_crlf_is_stripped() -> None:
    text = (
        "Still broken here.\r\n\r\n________________________________\r\n"
        "From: Help Desk <help@acme.example>\r\nSent: Monday, March 3, 2025 10:00 AM\r\n"
        "To: Jane <jane@customer.example>\r\nSubject: RE: Printer broken\r\n\r\n"
        + ACK.replace("\n", "\r\n")
    )
    result = parse_email_reply(text, None)
    assert result["sanitizedText"] == "Still broken here."
    assert result["confidence"] == "high"
    assert result["metadata"]["tokens"]["conversationToken"] == TOKEN


def test_reply_without_token_has_null_token() -> None:
    text = "New question.\n\nOn Tue, Bob wrote:\n> older stuff\n"
    result = parse_email_reply(text, None)
    assert result["sanitizedText"] == "New question."
    assert result["metadata"]["tokens"]["conversationToken"] is None


def test_reply_plain_new_mail_is_high_confidence_and_unchanged() -> None:
    result = parse_email_reply("My printer is broken.\nPlease help.", None)
    assert result["sanitizedText"] == "My printer is broken.\nPlease help."
    assert result["confidence"] == "high"
    assert result["metadata"]["strategy"] == "text:mail-parser-reply"
    assert result["metadata"]["warnings"] == []


def test_reply_gmail_html_quote_is_cut_and_sanitised() -> None:
    html = (
        '<div dir="ltr">Thanks!<script>alert(1)</script></div><div class="gmail_quote">'
        '<div class="gmail_attr">On Mon, Help Desk wrote:</div><blockquote class="gmail_quote">'
        f"Hello Jane <b>{format_reply_token(TOKEN)}</b></blockquote></div>"
    )
    text = f"Thanks!\n\nOn Mon, Help Desk wrote:\n{_quoted(ACK)}"
    result = parse_email_reply(text, html)
    assert result["sanitizedText"] == "Thanks!"
    assert "Thanks!" in result["sanitizedHtml"]
    assert "blockquote" not in result["sanitizedHtml"]
    assert "script" not in result["sanitizedHtml"]
    assert "alert" not in result["sanitizedHtml"]
    assert result["metadata"]["tokens"]["conversationToken"] == TOKEN
    assert result["metadata"]["strategy"] == "html:quotequail+nh3+text:mail-parser-reply"


def test_reply_html_only_mail_reads_text_from_html() -> None:
    html = (
        "<p>Here is the <b>log</b>.</p><p>Second para</p><div>On Mon, Desk wrote:</div>"
        f"<blockquote>{ACK}</blockquote>"
    )
    result = parse_email_reply(None, html)
    assert result["sanitizedText"] == "Here is the log.\n\nSecond para"
    assert result["metadata"]["tokens"]["conversationToken"] == TOKEN
    assert result["metadata"]["strategy"] == "html:quotequail+nh3+text:from-html"


def test_reply_stray_quote_lines_lower_confidence() -> None:
    result = parse_email_reply("I agree with this:\n> some quoted line\nok", None)
    assert result["confidence"] == "medium"
    assert result["metadata"]["warnings"]


def test_reply_library_failure_falls_back_to_raw_low(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(reply_module, "_strip_text", broken)
    result = parse_email_reply(f"raw body\n{format_reply_token(TOKEN)}", None)
    assert result["sanitizedText"] == f"raw body\n[{TOKEN}]"
    assert result["confidence"] == "low"
    assert result["metadata"]["strategy"] == "fallback:raw"
    assert "boom" in result["metadata"]["warnings"][0]
    assert result["metadata"]["tokens"]["conversationToken"] == TOKEN


def test_reply_empty_input_is_empty_text() -> None:
    result = parse_email_reply(None, None)
    assert result["sanitizedText"] == ""
    assert result["confidence"] in ("high", "medium", "low")
