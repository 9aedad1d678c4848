"""``parse_email_reply`` v1 (pure): the new part of a reply, sanitised, with its reply token.

The same function backs the ``email.parseBody`` node type; as an action it is
for workflows that prefer an ``action.call`` step (recorded as an invocation).
Never fails: a parser failure falls back to the raw text, ``confidence: low``.
"""

from __future__ import annotations

from typing import Any

from pydantic import JsonValue
from sluice_engine import ActionCall
from sluice_mail import parse_email_reply

from sluice_helpdesk.actions.contract import NULLABLE_STRING, EmailAction, obj, spec, text_arg

PARSED_EMAIL_SCHEMA: dict[str, Any] = obj(
    ["sanitizedText", "confidence", "metadata"],
    {
        "sanitizedText": {"type": "string"},
        "sanitizedHtml": {"type": "string"},
        "confidence": {"enum": ["high", "medium", "low"]},
        "metadata": obj(
            ["strategy", "warnings", "tokens"],
            {
                "strategy": {"type": "string"},
                "warnings": {"type": "array", "items": {"type": "string"}},
                "tokens": obj(["conversationToken"], {"conversationToken": NULLABLE_STRING}),
            },
        ),
    },
)


def parse_reply(text: str | None, html: str | None) -> dict[str, Any]:
    """``sluice_mail.parse_email_reply`` with a last-resort fallback (it must never fail)."""
    try:
        return parse_email_reply(text, html)
    except Exception as exc:  # the library promises not to raise; a bug must not fail a run
        return {
            "sanitizedText": text or "",
            "confidence": "low",
            "metadata": {
                "strategy": "fallback:raw",
                "warnings": [f"parser failed: {type(exc).__name__}: {exc}"],
                "tokens": {"conversationToken": None},
            },
        }


async def handle(call: ActionCall) -> JsonValue:
    parsed: JsonValue = parse_reply(text_arg(call.args, "text"), text_arg(call.args, "html"))
    return parsed


ACTION = EmailAction(
    spec=spec(
        "parse_email_reply",
        label="Parse email reply",
        description=(
            "Strips quoted history and signatures from an email body, sanitises its HTML and "
            "extracts the reply token; falls back to the raw text (confidence low), never fails."
        ),
        input_schema=obj([], {"text": NULLABLE_STRING, "html": NULLABLE_STRING}),
        output_schema=PARSED_EMAIL_SCHEMA,
        side_effectful=False,
        icon="scissors",
        examples=[
            {
                "text": {"$expr": "payload.emailData.body.text"},
                "html": {"$expr": "payload.emailData.body.html"},
            }
        ],
    ),
    handler=handle,
    transactional=False,
)
