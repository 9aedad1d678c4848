"""The whole inbound-email definition publishes cleanly; a broken one reports everything."""

from __future__ import annotations

import copy
from typing import Any

from validation_support import call, definition, email_registry, expr, found
from workflow_core.validation import validate_definition

KEY = "payload.providerId & ':' & payload.emailData.id"

NEW_TICKET: list[dict[str, Any]] = [
    {"id": "state-matching", "type": "state.set", "config": {"state": "MATCHING_EMAIL_CLIENT"}},
    call(
        "find-contact",
        "find_contact_by_email",
        {"email": expr("payload.emailData.from.email")},
        saveAs="vars.contact",
    ),
    {"id": "state-defaults", "type": "state.set", "config": {"state": "RESOLVING_TICKET_DEFAULTS"}},
    call(
        "defaults",
        "resolve_inbound_ticket_defaults",
        {"providerId": expr("payload.providerId")},
        saveAs="vars.defaults",
    ),
    {
        "id": "no-defaults",
        "type": "control.if",
        "condition": expr("vars.defaults = null"),
        "then": [
            {
                "id": "state-no-defaults",
                "type": "state.set",
                "config": {"state": "ERROR_NO_TICKET_DEFAULTS"},
            },
            {"id": "end-no-defaults", "type": "control.return"},
        ],
    },
    {"id": "state-creating", "type": "state.set", "config": {"state": "CREATING_TICKET"}},
    call(
        "create-ticket",
        "create_ticket_from_email",
        {
            "title": expr("payload.emailData.subject"),
            "description": expr("vars.parsedEmail.sanitizedText"),
            "defaults": expr("vars.defaults"),
            "contactId": expr("vars.contact.id"),
            "clientId": expr("coalesce(vars.contact.clientId, vars.defaults.clientId)"),
        },
        saveAs="vars.ticket",
        idempotencyKey=expr(KEY),
    ),
    {"id": "state-attachments", "type": "state.set", "config": {"state": "PROCESSING_ATTACHMENTS"}},
    {
        "id": "attachments",
        "type": "control.forEach",
        "items": expr("payload.emailData.attachments"),
        "itemVar": "attachment",
        "onItemError": "continue",
        "body": [
            call(
                "attach",
                "process_email_attachment",
                {"ticketId": expr("vars.ticket.id"), "attachment": expr("vars.attachment")},
                idempotencyKey=expr(
                    "vars.ticket.id & ':' & payload.emailData.id & ':' & vars.attachment.id"
                ),
            )
        ],
    },
    call(
        "initial-comment",
        "create_comment_from_email",
        {
            "ticketId": expr("vars.ticket.id"),
            "content": expr(
                "coalesce(vars.parsedEmail.sanitizedHtml, vars.parsedEmail.sanitizedText)"
            ),
            "authorType": "internal",
        },
    ),
    {"id": "state-processed", "type": "state.set", "config": {"state": "EMAIL_PROCESSED"}},
    {
        "id": "ack",
        "type": "control.if",
        "condition": expr("vars.contact != null and payload.emailData.autoSubmitted != true"),
        "then": [
            call(
                "send-ack",
                "send_ticket_acknowledgement_email",
                {"ticketId": expr("vars.ticket.id"), "to": expr("payload.emailData.from.email")},
                idempotencyKey=expr("vars.ticket.id & ':ack'"),
                onError={"policy": "continue"},
            )
        ],
    },
]

EXISTING_TICKET: list[dict[str, Any]] = [
    call(
        "comment",
        "create_comment_from_email",
        {
            "ticketId": expr("vars.existing.id"),
            "content": expr(
                "coalesce(vars.parsedEmail.sanitizedHtml, vars.parsedEmail.sanitizedText)"
            ),
            "authorType": "contact",
            "senderEmail": expr("payload.emailData.from.email"),
        },
        idempotencyKey=expr("payload.emailData.id & ':' & vars.existing.id"),
    ),
    {
        "id": "existing-attachments",
        "type": "control.forEach",
        "items": expr("payload.emailData.attachments"),
        "itemVar": "existingAttachment",
        "onItemError": "continue",
        "body": [
            call(
                "existing-attach",
                "process_email_attachment",
                {
                    "ticketId": expr("vars.existing.id"),
                    "attachment": expr("vars.existingAttachment"),
                },
            )
        ],
    },
    {"id": "end-existing", "type": "control.return"},
]

EMAIL_DEFINITION = definition(
    {"id": "state-start", "type": "state.set", "config": {"state": "PROCESSING_INBOUND_EMAIL"}},
    {
        "id": "processed-at",
        "type": "transform.assign",
        "config": {"assign": {"vars.processedAt": expr("nowIso()")}},
    },
    {
        "id": "main",
        "type": "control.tryCatch",
        "captureErrorAs": "failure",
        "try": [
            {
                "id": "parse",
                "type": "email.parseBody",
                "config": {
                    "text": expr("payload.emailData.body.text"),
                    "html": expr("payload.emailData.body.html"),
                    "saveAs": "vars.parsedEmail",
                },
            },
            {
                "id": "state-threading",
                "type": "state.set",
                "config": {"state": "CHECKING_EMAIL_THREADING"},
            },
            {
                "id": "by-token",
                "type": "control.if",
                "condition": expr("vars.parsedEmail.metadata.tokens.conversationToken != null"),
                "then": [
                    call(
                        "find-by-token",
                        "find_ticket_by_reply_token",
                        {"token": expr("vars.parsedEmail.metadata.tokens.conversationToken")},
                        saveAs="vars.existing",
                    )
                ],
            },
            {
                "id": "by-thread",
                "type": "control.if",
                "condition": expr("vars.existing = null"),
                "then": [
                    call(
                        "find-by-thread",
                        "find_ticket_by_email_thread",
                        {
                            "messageIds": expr(
                                "append(payload.emailData.references, payload.emailData.inReplyTo)"
                            ),
                            "threadId": expr("payload.emailData.threadId"),
                        },
                        saveAs="vars.existing",
                    )
                ],
            },
            {
                "id": "existing",
                "type": "control.if",
                "condition": expr("vars.existing != null"),
                "then": EXISTING_TICKET,
                "else": NEW_TICKET,
            },
        ],
        "catch": [
            {
                "id": "state-error",
                "type": "state.set",
                "config": {"state": "ERROR_PROCESSING_EMAIL"},
            },
            call(
                "failure-task",
                "create_human_task_for_email_processing_failure",
                {
                    "subject": expr("payload.emailData.subject"),
                    "sender": expr("payload.emailData.from.email"),
                    "error": expr("vars.failure"),
                },
                idempotencyKey=expr("payload.providerId & ':' & payload.emailData.id & ':failure'"),
            ),
            {
                "id": "state-manual",
                "type": "state.set",
                "config": {"state": "AWAITING_MANUAL_RESOLUTION"},
            },
            {"id": "end-failure", "type": "control.return"},
        ],
    },
    name="Inbound Email Processing",
    trigger={"type": "event", "eventName": "INBOUND_EMAIL_RECEIVED"},
)


def test_full_email_definition_has_no_errors_and_no_warnings() -> None:
    report = validate_definition(EMAIL_DEFINITION, registry=email_registry())
    assert report.ok
    assert report.errors == []


def test_validation_does_not_mutate_the_document() -> None:
    before = copy.deepcopy(EMAIL_DEFINITION)
    validate_definition(EMAIL_DEFINITION, registry=email_registry())
    assert before == EMAIL_DEFINITION


def test_many_problems_are_all_reported_in_document_order() -> None:
    broken = copy.deepcopy(EMAIL_DEFINITION)
    main = broken["steps"][2]
    main["try"][0]["config"]["text"] = expr("payload.emialData.body.text")  # warning
    main["try"][0]["confg"] = {}  # shape
    main["try"][2]["condition"] = expr("$random() > 0.5")  # sandbox
    new_ticket = main["try"][4]["else"]
    new_ticket[1]["config"]["actionId"] = "find_contact_by_emal"  # unknown action
    new_ticket[8].update(onItemError="continue", toleratedFailureCount=1)  # warning
    new_ticket[8]["body"][0]["id"] = "find-contact"  # duplicate id
    main["catch"][1]["config"]["args"]["subject"] = expr("payload.emailData.subject &")  # syntax
    broken["steps"].append(
        {
            "id": "tail",
            "type": "transform.assign",
            "config": {"assign": {"error.message": expr("'x'")}},
        }
    )
    report = validate_definition(broken, registry=email_registry())
    assert found(report) == [
        ("error", "INVALID_DEFINITION", "root.steps[2].try.steps[0]"),
        ("warning", "UNKNOWN_PAYLOAD_PATH", "root.steps[2].try.steps[0]"),
        ("error", "DISALLOWED_FUNCTION", "root.steps[2].try.steps[2]"),
        ("error", "UNKNOWN_ACTION", "root.steps[2].try.steps[4].else.steps[1]"),
        ("warning", "TOLERANCE_IGNORED", "root.steps[2].try.steps[4].else.steps[8]"),
        ("error", "DUPLICATE_STEP_ID", "root.steps[2].try.steps[4].else.steps[8].body.steps[0]"),
        ("error", "INVALID_EXPR", "root.steps[2].catch.steps[1]"),
        ("error", "INVALID_ASSIGN_PATH", "root.steps[3]"),
    ]
    assert not report.ok
    messages = [e.message for e in report.errors]
    assert "did you mean 'find_contact_by_email'?" in messages[3]
    assert (
        messages[5]
        == "step id 'find-contact' is already used at root.steps[2].try.steps[4].else.steps[1]"
    )


def test_wire_form_is_camel_case_and_omits_absent_step_id() -> None:
    report = validate_definition({"name": "", "steps": [], "bogus": 1}, registry=email_registry())
    wire = report.wire()
    assert wire["ok"] is False
    assert wire["errors"][0] == {
        "severity": "error",
        "stepPath": "root",
        "code": "INVALID_DEFINITION",
        "message": "field 'name': String should have at least 1 character",
    }
    assert wire["errors"][1]["message"] == "unknown field 'bogus'"
