"""``parse_email_reply``: the new part of a reply, sanitised, plus its reply token.

Strategy (recorded in ``metadata.strategy``):
- text: mail-parser-reply splits the body at reply headers (``On ... wrote:``,
  Outlook's ``From:/Sent:`` block, ``-----Original Message-----``, many
  languages) and drops signatures; the first fragment is the new reply.
- HTML: quotequail cuts the markup at the quote (``blockquote``, Gmail/Outlook
  quote containers, the intro line included), nh3 sanitises what is left.
- HTML-only mail: the text is read from the stripped, sanitised HTML.
The reply token is looked for in the whole message (quoted part included):
that is where the acknowledgement's token sits in a reply.

Confidence: ``high`` when a quote/reply header was found and cut, or the mail
carries no quote marker at all; ``medium`` when stripping left nothing (the
whole text is kept) or ``> `` quote lines remain that no header introduced;
``low`` when a library failed and the raw text is returned. Never raises.
"""

from __future__ import annotations

import re
from typing import Any

import quotequail
from mailparser_reply import EmailReplyParser

from sluice_mail.decoding import normalise_newlines
from sluice_mail.sanitize import html_to_text, sanitize_html
from sluice_mail.tokens import find_reply_token

# Languages whose reply headers mail-parser-reply knows; English is always included.
REPLY_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "da", "cs")
_QUOTE_LINE = re.compile(r"^\s*>", re.MULTILINE)
MAX_INPUT_CHARS = 2_000_000  # reply stripping is regex-heavy; bound the work per mail


def parse_email_reply(text: str | None, html: str | None) -> dict[str, Any]:
    """``{sanitizedText, sanitizedHtml?, confidence, metadata{strategy, warnings, tokens}}``."""
    text = normalise_newlines(text)[:MAX_INPUT_CHARS] if text else None
    html = html[:MAX_INPUT_CHARS] if html else None
    token = _safe_token(text, html)
    try:
        return _parse(text, html, token)
    except Exception as exc:  # any library failure: keep the raw text, say so
        return _fallback(text, html, token, f"{type(exc).__name__}: {exc}")


def _parse(text: str | None, html: str | None, token: str | None) -> dict[str, Any]:
    warnings: list[str] = []
    strategies: list[str] = []
    sanitized_html = None
    html_cut = False
    if html:
        sanitized_html, html_cut = _strip_html(html)
        strategies.append("html:quotequail+nh3")
    if text:
        reply, text_cut = _strip_text(text, warnings)
        strategies.append("text:mail-parser-reply")
    else:
        reply = html_to_text(sanitized_html) if sanitized_html else ""
        text_cut = html_cut
        strategies.append("text:from-html")
    confidence = _confidence(text or "", reply, text_cut or html_cut, warnings)
    return _result(reply, sanitized_html, confidence, "+".join(strategies), warnings, token)


def _strip_text(text: str, warnings: list[str]) -> tuple[str, bool]:
    message = EmailReplyParser(languages=list(REPLY_LANGUAGES)).read(text)
    replies = message.replies
    latest = replies[0].body if replies else ""
    if not latest.strip():
        latest = replies[0].content if replies else ""
    if not latest.strip():
        warnings.append("reply stripping left no text; kept the whole body")
        return text.strip(), False
    return latest.strip(), len(replies) > 1


def _strip_html(html: str) -> tuple[str, bool]:
    parts = quotequail.quote_html(html, quote_intro_line=True)
    kept = "".join(fragment for expanded, fragment in parts if expanded)
    cut = any(not expanded for expanded, _ in parts)
    cleaned = sanitize_html(kept).strip()
    if not html_to_text(cleaned) and cut:
        # Everything was quoted (a bare forward): keep the whole mail rather than nothing.
        return sanitize_html(html).strip(), False
    return cleaned, cut


def _confidence(original: str, reply: str, cut: bool, warnings: list[str]) -> str:
    if warnings:
        return "medium"
    if _QUOTE_LINE.search(reply):
        warnings.append("quoted lines remain that no reply header introduced")
        return "medium"
    if cut or not _QUOTE_LINE.search(original):
        return "high"
    return "medium"


def _safe_token(text: str | None, html: str | None) -> str | None:
    try:
        return find_reply_token(text, html)
    except Exception:  # a regex engine failure must not lose the mail
        return None


def _fallback(text: str | None, html: str | None, token: str | None, why: str) -> dict[str, Any]:
    raw = text if text is not None else (html or "")
    warning = f"reply parsing failed ({why}); kept the raw text"
    return _result(raw.strip(), None, "low", "fallback:raw", [warning], token)


def _result(
    text: str,
    html: str | None,
    confidence: str,
    strategy: str,
    warnings: list[str],
    token: str | None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "sanitizedText": text,
        "confidence": confidence,
        "metadata": {
            "strategy": strategy,
            "warnings": warnings,
            "tokens": {"conversationToken": token},
        },
    }
    if html:
        result["sanitizedHtml"] = html
    return result
