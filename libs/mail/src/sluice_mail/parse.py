"""``parse_message``: raw RFC 822 bytes to a ``ParsedEmail`` or a ``ParseFailure``.

Uses the standard library's modern policy (``email.policy.default``). Never
raises: anything unexpected becomes a ``ParseFailure`` whose reason names the
exception, so intake can store the message as failed and move on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser

from sluice_mail.auto_submitted import is_auto_submitted
from sluice_mail.headers import addresses, header_text, raw_header
from sluice_mail.message_ids import message_id_list, normalise_message_id, synthetic_message_id
from sluice_mail.model import ParsedEmail, ParseFailure
from sluice_mail.walk import collect_parts

_PARSER = BytesParser(policy=policy.default)


def parse_message(raw: bytes, *, max_bytes: int) -> ParsedEmail | ParseFailure:
    """Parse one message of at most ``max_bytes`` bytes."""
    if not raw.strip():
        return ParseFailure("empty message")
    if len(raw) > max_bytes:
        return ParseFailure(f"message is {len(raw)} bytes, over the limit of {max_bytes}")
    try:
        message = _PARSER.parsebytes(raw)
        return _interpret(message, raw)
    except Exception as exc:  # a parser bug on hostile input must not crash intake
        return ParseFailure(f"unparseable message: {type(exc).__name__}: {exc}"[:500])


def _interpret(message: Message, raw: bytes) -> ParsedEmail | ParseFailure:
    if not list(message.keys()):
        return ParseFailure("no headers: not an RFC 822 message")
    declared_id = normalise_message_id(header_text(message, "Message-ID"))
    senders = addresses(message, "From") or addresses(message, "Sender")
    if not senders:
        return ParseFailure("no sender address in From or Sender", message_id=declared_id)
    parts = collect_parts(message)
    return ParsedEmail(
        message_id=declared_id or synthetic_message_id(raw),
        synthetic_message_id=declared_id is None,
        from_address=senders[0],
        to=addresses(message, "To"),
        cc=addresses(message, "Cc"),
        subject=header_text(message, "Subject") or "",
        text=parts.text,
        html=parts.html,
        in_reply_to=normalise_message_id(header_text(message, "In-Reply-To")),
        references=message_id_list(header_text(message, "References")),
        thread_id=_thread_id(message),
        received_at=_date(message),
        auto_submitted=is_auto_submitted(message),
        attachments=tuple(parts.attachments),
        warnings=tuple(parts.warnings) + _defects(message),
    )


def _thread_id(message: Message) -> str | None:
    """Outlook's ``Thread-Index`` (base64 conversation id); other clients thread by headers."""
    value = raw_header(message, "Thread-Index")
    cleaned = "".join(value.split()) if value else ""
    return cleaned or None


def _date(message: Message) -> datetime | None:
    try:
        header = message.get("Date")
        moment = getattr(header, "datetime", None) if header is not None else None
    except Exception:  # an unparseable or out-of-range date
        return None
    if not isinstance(moment, datetime):
        return None
    # RFC 5322 "-0000" (time zone unknown) parses as naive: read it as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _defects(message: Message) -> tuple[str, ...]:
    found = {type(defect).__name__ for part in message.walk() for defect in part.defects}
    return tuple(f"MIME defect: {name}" for name in sorted(found))
