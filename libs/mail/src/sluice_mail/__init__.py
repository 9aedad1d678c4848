"""Sluice email toolkit: pure functions, no I/O.

- ``parse_message(raw, max_bytes=...)`` -> ``ParsedEmail | ParseFailure``
- ``to_payload(parsed, provider_id, attachment_ids)`` -> ``payload.EmailWorkflowPayload.v1``
- ``is_auto_submitted(message)`` -> loop-risk detection (RFC 3834 and friends)
- ``parse_email_reply(text, html)`` -> reply without quotes/signatures, sanitised, token
- ``convert_html_to_blocks(html, text)`` -> rich-text blocks (README.md)
- ``new_reply_token`` / ``format_reply_token`` / ``find_reply_token`` -> ``[SLU-...]`` tokens
"""

from sluice_mail.auto_submitted import is_auto_submitted
from sluice_mail.blocks import Block, convert_html_to_blocks, text_to_blocks
from sluice_mail.message_ids import (
    message_id_list,
    normalise_line_endings,
    normalise_message_id,
    synthetic_message_id,
)
from sluice_mail.model import Address, ParsedAttachment, ParsedEmail, ParseFailure
from sluice_mail.parse import parse_message
from sluice_mail.payload import to_payload
from sluice_mail.reply import parse_email_reply
from sluice_mail.sanitize import html_to_text, sanitize_html
from sluice_mail.tokens import find_reply_token, format_reply_token, new_reply_token

__all__ = [
    "Address",
    "Block",
    "ParseFailure",
    "ParsedAttachment",
    "ParsedEmail",
    "convert_html_to_blocks",
    "find_reply_token",
    "format_reply_token",
    "html_to_text",
    "is_auto_submitted",
    "message_id_list",
    "new_reply_token",
    "normalise_line_endings",
    "normalise_message_id",
    "parse_email_reply",
    "parse_message",
    "sanitize_html",
    "synthetic_message_id",
    "text_to_blocks",
    "to_payload",
]
