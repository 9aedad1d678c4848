"""Idempotency keys of SPEC 12, in one place so every caller builds them alike."""

from __future__ import annotations

from sluice_helpdesk.scope import normalise_message_id


def ticket_key(provider_id: str, message_id: str) -> str:
    return f"{provider_id}:{normalise_message_id(message_id)}"


def comment_key(message_id: str, ticket_id: str) -> str:
    return f"{normalise_message_id(message_id)}:{ticket_id}"


def attachment_key(ticket_id: str, message_id: str, attachment_id: str) -> str:
    return f"{ticket_id}:{normalise_message_id(message_id)}:{attachment_id}"


def acknowledgement_key(ticket_id: str) -> str:
    return f"{ticket_id}:ack"


def failure_task_key(provider_id: str, message_id: str) -> str:
    return f"{provider_id}:{normalise_message_id(message_id)}:failure"
