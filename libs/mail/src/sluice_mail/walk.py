"""Walk a MIME tree: pick the body (text and HTML) and collect every other part.

Rules, in order, for each part (positions ``"1"``, ``"2.1"`` ... name parts):
- ``message/rfc822`` (a forwarded message) is kept whole as an attachment
  (``<subject>.eml``) and not descended into: its body is not the sender's.
- ``multipart/*`` is descended into.
- the first inline ``text/plain`` and the first inline ``text/html`` without a
  filename are the body; further inline ``text/plain`` parts are appended to
  the text (Apple Mail splits text around inline images).
- everything else is an attachment; an image with a Content-ID is ``inline``.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message

from sluice_mail.decoding import part_bytes, part_text
from sluice_mail.headers import header_text
from sluice_mail.model import ParsedAttachment

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
MAX_DEPTH = 50  # nesting beyond this is an attack or a broken mailer; stop descending


@dataclass
class BodyParts:
    text: str | None = None
    html: str | None = None
    attachments: list[ParsedAttachment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _make(
    position: str,
    name: str,
    content_type: str,
    data: bytes,
    content_id: str | None = None,
    inline: bool = False,
) -> ParsedAttachment:
    digest = hashlib.sha256(data).hexdigest()
    return ParsedAttachment(position, name, content_type, data, digest, content_id, inline)


def collect_parts(message: Message) -> BodyParts:
    found = BodyParts()
    _visit(message, "1", found, depth=0)
    return found


def _visit(part: Message, position: str, found: BodyParts, *, depth: int) -> None:
    content_type = _content_type(part)
    if content_type == "message/rfc822":
        found.attachments.append(_forwarded(part, position))
    elif part.is_multipart():
        if depth >= MAX_DEPTH:
            found.warnings.append(f"MIME nesting deeper than {MAX_DEPTH} at part {position}")
            return
        children = part.get_payload()
        for index, child in enumerate(children if isinstance(children, list) else [], 1):
            if isinstance(child, Message):
                _visit(child, f"{position}.{index}", found, depth=depth + 1)
    elif _is_body_candidate(part, content_type):
        _take_body(part, content_type, position, found)
    else:
        found.attachments.append(_attachment(part, position, content_type))


def _take_body(part: Message, content_type: str, position: str, found: BodyParts) -> None:
    text, warning = part_text(part)
    if warning:
        found.warnings.append(f"part {position}: {warning}")
    if content_type == "text/html":
        if found.html is None:
            found.html = text
        else:
            found.attachments.append(_attachment(part, position, content_type))
    elif found.text is None:
        found.text = text
    else:
        found.text = f"{found.text.rstrip()}\n\n{text}"


def _is_body_candidate(part: Message, content_type: str) -> bool:
    if content_type not in ("text/plain", "text/html"):
        return False
    return _disposition(part) != "attachment" and _filename(part) is None


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:  # a Content-Type so broken the library cannot read it
        return "application/octet-stream"


def _disposition(part: Message) -> str | None:
    try:
        value = part.get_content_disposition()
    except Exception:  # malformed disposition parameters
        return None
    return value.lower() if value else None


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # malformed RFC 2231 parameters
        return None
    if not name:
        return None
    cleaned = _UNSAFE_NAME.sub("_", str(name)).strip().strip(".")
    return cleaned[:255] or None


def _content_id(part: Message) -> str | None:
    value = header_text(part, "Content-ID")
    cleaned = value.strip().strip("<>").strip() if value else ""
    return cleaned or None


def _attachment(part: Message, position: str, content_type: str) -> ParsedAttachment:
    content_id = _content_id(part)
    inline = _disposition(part) == "inline" or (
        content_id is not None and _disposition(part) != "attachment"
    )
    name = _filename(part) or _default_name(position, content_type)
    return _make(position, name, content_type, part_bytes(part), content_id, inline)


def _forwarded(part: Message, position: str) -> ParsedAttachment:
    inner = part.get_payload()
    message = inner[0] if isinstance(inner, list) and inner else None
    data = b""
    subject = None
    if isinstance(message, Message):
        try:
            data = message.as_bytes()
        except Exception:  # unserialisable (broken) inner message: keep the raw payload
            data = part_bytes(part)
        subject = header_text(message, "Subject")
    name = _filename(part) or (_UNSAFE_NAME.sub("_", subject)[:200] + ".eml" if subject else None)
    return _make(position, name or f"forwarded-{position}.eml", "message/rfc822", data)


def _default_name(position: str, content_type: str) -> str:
    extension = mimetypes.guess_extension(content_type) or ".bin"
    return f"part-{position}{extension}"
