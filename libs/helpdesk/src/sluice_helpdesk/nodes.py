"""Email compute node types (SPEC section 6), pure wrappers of ``sluice_mail``.

- ``email.parseBody`` (``text``, ``html``, ``saveAs``): reply and quote
  stripping, HTML sanitising, reply token; never fails (low-confidence fallback).
- ``email.renderCommentBlocks`` (``html?``, ``text?``, ``saveAs``): rich-text
  blocks from the sanitised HTML, else paragraphs from the text.

They run inside the interpreter's deterministic step: same input, same output,
no clock, no I/O, so a replay reproduces them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import JsonValue
from workflow_core.registry import EXPR_SCHEMA, NodeContext, NodeTypeSpec, UiMetadata

from sluice_helpdesk.actions.convert_html_to_blocks import BLOCKS_SCHEMA, render_blocks
from sluice_helpdesk.actions.parse_email_reply import PARSED_EMAIL_SCHEMA, parse_reply

_TEXT_OR_EXPR: dict[str, Any] = {"anyOf": [EXPR_SCHEMA, {"type": ["string", "null"]}]}
_SAVE_AS: dict[str, Any] = {"type": "string", "minLength": 1}


def _config_schema(required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": {"text": _TEXT_OR_EXPR, "html": _TEXT_OR_EXPR, "saveAs": _SAVE_AS},
        "additionalProperties": False,
    }


def _text(config: Mapping[str, JsonValue], name: str) -> str | None:
    value = config.get(name)
    return value if isinstance(value, str) and value else None


def parse_body(config: Mapping[str, JsonValue], context: NodeContext) -> JsonValue:
    parsed: JsonValue = parse_reply(_text(config, "text"), _text(config, "html"))
    return parsed


def render_comment_blocks(config: Mapping[str, JsonValue], context: NodeContext) -> JsonValue:
    blocks: list[JsonValue] = [*render_blocks(_text(config, "html"), _text(config, "text"))]
    return blocks


PARSE_BODY = NodeTypeSpec(
    type_name="email.parseBody",
    config_schema=_config_schema(["text", "html", "saveAs"]),
    handler=parse_body,
    output_schema=PARSED_EMAIL_SCHEMA,
    ui=UiMetadata(
        label="Parse email body",
        category="Email",
        description=(
            "Strips quoted replies and signatures, sanitises the HTML and extracts the reply "
            "token into {sanitizedText, sanitizedHtml?, confidence, metadata}; never fails."
        ),
        icon="scissors",
        examples=[
            {
                "text": {"$expr": "payload.emailData.body.text"},
                "html": {"$expr": "payload.emailData.body.html"},
                "saveAs": "vars.parsedEmail",
            }
        ],
    ),
)

RENDER_COMMENT_BLOCKS = NodeTypeSpec(
    type_name="email.renderCommentBlocks",
    config_schema=_config_schema(["saveAs"]),
    handler=render_comment_blocks,
    output_schema=BLOCKS_SCHEMA,
    ui=UiMetadata(
        label="Render comment blocks",
        category="Email",
        description=(
            "Converts sanitised HTML into rich-text blocks for a comment; falls back to "
            "paragraphs built from the text."
        ),
        icon="layout",
        examples=[
            {
                "html": {"$expr": "vars.parsedEmail.sanitizedHtml"},
                "text": {"$expr": "vars.parsedEmail.sanitizedText"},
                "saveAs": "vars.commentBlocks",
            }
        ],
    ),
)

EMAIL_NODE_TYPES = (PARSE_BODY, RENDER_COMMENT_BLOCKS)
