"""``convert_html_to_blocks`` v1 (pure): sanitised HTML to rich-text blocks.

The block format is documented in ``libs/mail/README.md``; without usable
HTML the text becomes paragraphs. Backs the ``email.renderCommentBlocks`` node.
"""

from __future__ import annotations

from typing import Any

from pydantic import JsonValue
from sluice_engine import ActionCall
from sluice_mail import convert_html_to_blocks, text_to_blocks

from sluice_helpdesk.actions.contract import NULLABLE_STRING, EmailAction, obj, spec, text_arg

BLOCKS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}},
}


def render_blocks(html: str | None, text: str | None) -> list[dict[str, Any]]:
    """Blocks from HTML, else from text; a converter bug degrades to text paragraphs."""
    try:
        return [dict(block) for block in convert_html_to_blocks(html, text)]
    except Exception:  # the converter promises not to raise; a comment must still be written
        return [dict(block) for block in text_to_blocks(text or "")]


async def handle(call: ActionCall) -> JsonValue:
    blocks: list[JsonValue] = [
        *render_blocks(text_arg(call.args, "html"), text_arg(call.args, "text"))
    ]
    return {"blocks": blocks}


ACTION = EmailAction(
    spec=spec(
        "convert_html_to_blocks",
        label="Convert HTML to blocks",
        description=(
            "Converts sanitised HTML into rich-text blocks (paragraphs, headings, lists, quotes, "
            "code, links, images by content id); falls back to paragraphs built from the text."
        ),
        input_schema=obj([], {"html": NULLABLE_STRING, "text": NULLABLE_STRING}),
        output_schema=obj(["blocks"], {"blocks": BLOCKS_SCHEMA}),
        side_effectful=False,
        icon="layout",
        examples=[
            {
                "html": {"$expr": "vars.parsedEmail.sanitizedHtml"},
                "text": {"$expr": "vars.parsedEmail.sanitizedText"},
            }
        ],
    ),
    handler=handle,
    transactional=False,
)
