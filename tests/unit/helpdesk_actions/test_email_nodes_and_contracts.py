"""Pure parts of the helpdesk plugin: node types, pure actions, contracts, the shipped workflow."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sluice_engine import ActionCall, ActionHandlers, load_plugins
from sluice_helpdesk.actions import EMAIL_ACTIONS
from sluice_helpdesk.actions.convert_html_to_blocks import ACTION as CONVERT
from sluice_helpdesk.actions.parse_email_reply import ACTION as PARSE
from sluice_helpdesk.nodes import (
    PARSE_BODY,
    RENDER_COMMENT_BLOCKS,
    parse_body,
    render_comment_blocks,
)
from sluice_helpdesk.workflows import inbound_email_definition
from workflow_core.json_schema import violations
from workflow_core.registry import NodeContext, create_registry
from workflow_core.validation import validate_definition

CONTEXT = NodeContext(
    "t-1", "run-1", "parse_body", "root.steps[0]", datetime(2025, 1, 1, tzinfo=UTC)
)
SPEC_ACTIONS = {
    "parse_email_reply",
    "find_ticket_by_reply_token",
    "find_ticket_by_email_thread",
    "convert_html_to_blocks",
    "create_comment_from_email",
    "process_email_attachment",
    "find_contact_by_email",
    "resolve_inbound_ticket_defaults",
    "create_ticket_from_email",
    "create_human_task_for_email_processing_failure",
    "send_ticket_acknowledgement_email",
}
SIDE_EFFECTFUL = {
    "create_comment_from_email",
    "process_email_attachment",
    "create_ticket_from_email",
    "create_human_task_for_email_processing_failure",
    "send_ticket_acknowledgement_email",
}
REPLY = (
    "Thanks, that fixed it.\n\nOn Mon, 3 Mar 2025 at 10:00, Support <support@acme.test> wrote:\n"
    "> We have opened ticket TIC-000001.\n> Reference: [SLU-ABCDEFGHIJKLMNOP]\n"
)


def _call(action_id: str, args: dict[str, Any]) -> ActionCall:
    return ActionCall("t-1", "run-1", "s", action_id, 1, "k", 1, args)


def test_plugin_registers_eleven_actions_and_two_node_types_by_default() -> None:
    registry, handlers = create_registry(), ActionHandlers()
    assert load_plugins("", registry, handlers) == ["helpdesk", "http"]
    assert {spec.action_id for spec in registry.actions.all()} == SPEC_ACTIONS | {"http.request"}
    assert {"email.parseBody", "email.renderCommentBlocks"} <= {
        n.type_name for n in registry.node_types.all()
    }
    assert len(handlers.entries) == 12  # the eleven email actions and http.request


def test_plugin_named_in_wf_plugins_too_loads_once() -> None:
    registry = create_registry()
    assert load_plugins("helpdesk", registry, ActionHandlers()) == ["helpdesk", "http"]


def test_action_contracts_have_version_1_and_right_side_effect_flags() -> None:
    for action in EMAIL_ACTIONS:
        assert action.spec.version == 1
        assert action.spec.side_effectful == (action.spec.action_id in SIDE_EFFECTFUL)
        assert action.spec.ui.label
        assert action.spec.ui.description
        assert action.transactional or not action.spec.side_effectful


def test_parse_body_node_strips_quote_and_finds_token() -> None:
    parsed = parse_body({"text": REPLY, "html": None, "saveAs": "vars.p"}, CONTEXT)
    assert isinstance(parsed, dict)
    assert parsed["sanitizedText"].strip() == "Thanks, that fixed it."
    assert parsed["metadata"]["tokens"]["conversationToken"] == "SLU-ABCDEFGHIJKLMNOP"
    assert not violations(PARSE.spec.output_schema, parsed)


def test_parse_body_node_with_no_body_still_answers() -> None:
    parsed = parse_body({"text": None, "html": None, "saveAs": "vars.p"}, CONTEXT)
    assert isinstance(parsed, dict)
    assert parsed["sanitizedText"] == ""
    assert not violations(PARSE.spec.output_schema, parsed)


def test_render_blocks_node_uses_html_else_text() -> None:
    html = render_comment_blocks({"html": "<p>Hi <b>there</b></p>", "saveAs": "x"}, CONTEXT)
    text = render_comment_blocks({"text": "one\n\ntwo", "saveAs": "x"}, CONTEXT)
    assert isinstance(html, list)
    assert isinstance(text, list)
    assert html[0]["type"] == "paragraph"  # type: ignore[index]
    assert len(text) == 2
    # the declared output schema (what the type analysis types saveAs with) holds
    assert RENDER_COMMENT_BLOCKS.output_schema is not None
    assert not violations(RENDER_COMMENT_BLOCKS.output_schema, html)
    assert not violations(RENDER_COMMENT_BLOCKS.output_schema, text)


def test_parse_body_declares_the_output_it_gives() -> None:
    assert PARSE_BODY.output_schema == PARSE.spec.output_schema


def test_pure_actions_match_their_output_schemas() -> None:
    parsed = asyncio.run(PARSE.handler(_call("parse_email_reply", {"text": REPLY})))
    blocks = asyncio.run(CONVERT.handler(_call("convert_html_to_blocks", {"html": "<h1>T</h1>"})))
    assert not violations(PARSE.spec.output_schema, parsed)
    assert not violations(CONVERT.spec.output_schema, blocks)
    assert blocks == {
        "blocks": [
            {
                "type": "heading",
                "level": 1,
                "children": [{"type": "text", "text": "T", "marks": []}],
            }
        ]
    }


def test_shipped_inbound_email_workflow_publishes_without_errors_or_warnings() -> None:
    registry = create_registry()
    load_plugins("", registry, ActionHandlers())
    report = validate_definition(
        inbound_email_definition(), registry=registry.freeze(), known_workflows={}
    )
    assert report.ok
    assert [e.wire() for e in report.errors] == []


def test_shipped_workflow_sets_every_spec_12_state() -> None:
    text = str(inbound_email_definition())
    for state in (
        "PROCESSING_INBOUND_EMAIL",
        "CHECKING_EMAIL_THREADING",
        "MATCHING_EMAIL_CLIENT",
        "RESOLVING_TICKET_DEFAULTS",
        "CREATING_TICKET",
        "PROCESSING_ATTACHMENTS",
        "EMAIL_PROCESSED",
        "ERROR_NO_TICKET_DEFAULTS",
        "ERROR_PROCESSING_EMAIL",
        "AWAITING_MANUAL_RESOLUTION",
    ):
        assert f"'state': '{state}'" in text
