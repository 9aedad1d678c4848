"""The one intake of inbound email, shared by SMTP and ``POST /emails``.

``EmailIntake.route`` maps a recipient to ``(tenant, provider)`` through the
global ``mailbox_routes`` table. ``accept_raw`` refuses (raises an
``IntakeError``) or stores the message and answers ``accepted``, ``duplicate``
or ``failed``; ``accept_payload`` does the same for the JSON form of SPEC 12.

Why the outbox and not ``route_event`` directly: the inbound row, its
attachment bytes and the ``INBOUND_EMAIL_RECEIVED`` event commit in ONE
transaction, so "accepted" always means "the event will be submitted" (the
relay publishes it to ``wf.events``; the interpreter routes it with the one
routing function). Routing inline would also be atomic, but it would start
runs inside the SMTP/HTTP request (definition loading, payload validation,
engine writes) and tie intake's availability and latency to the engine's;
with the outbox intake needs only PostgreSQL and stays a thin, fast writer.

Deduplication: ``helpdesk_inbound_emails`` is unique on (tenant, provider,
Message-ID) and the insert is ``ON CONFLICT DO NOTHING``; concurrent
deliveries of one message (SMTP and HTTP mixed) block on the first insert
until it commits, then see it: exactly one ``accepted``, the others
``duplicate``. If the first rolls back, the next one inserts instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg
from sluice_config.clock import Clock
from sluice_helpdesk import (
    InboundAttachment,
    InboundEmail,
    InboundEmailRepository,
    MailboxRoute,
    ProviderRepository,
    route_mailbox,
)
from sluice_mail import synthetic_message_id
from sluice_messaging.topics import Topics
from sluice_storage import enqueue, transaction
from sluice_telemetry import trace_headers
from workflow_core.json_rules import scrub_text, scrub_value

from sluice_ingest.classify import Verdict, check_rfc822, classify
from sluice_ingest.email_event import email_event, email_payload, event_key
from sluice_ingest.errors import UnknownMailboxError, UnknownProviderError

log = logging.getLogger(__name__)
# The database is away (or refuses connections): the only reasons intake answers
# "try again later" (SMTP 451); everything else about a message is answered for good.
DATABASE_DOWN = (
    OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError, asyncpg.CrashShutdownError,
)  # fmt: skip
Status = Literal["accepted", "duplicate", "failed"]


@dataclass(frozen=True)
class IntakeResult:
    email_id: str
    status: Status
    reason: str | None = None
    tenant_id: str | None = None
    provider_id: str | None = None
    message_id: str | None = None

    def wire(self) -> dict[str, str]:
        """The ``202`` body: ``{emailId, status, reason?}``."""
        body = {"emailId": self.email_id, "status": self.status}
        if self.reason is not None:
            body["reason"] = self.reason
        return body


PayloadMaker = Callable[[list[str], datetime], dict[str, Any]]


@dataclass(frozen=True)
class Submission:
    """What an accepted message submits: attachment bytes to store, then the event payload
    (built from the stored attachment ids and intake's clock)."""

    attachments: tuple[InboundAttachment, ...]
    make_payload: PayloadMaker


@dataclass(frozen=True)
class StoredEmail:
    """One message to store: its bytes and verdict; ``submission`` only when accepted."""

    raw: bytes
    message_id: str
    status: Literal["accepted", "failed"]
    reason: str | None = None
    subject: str | None = None
    from_address: str | None = None
    submission: Submission | None = None


class EmailIntake:
    def __init__(self, pool: asyncpg.Pool, topics: Topics, clock: Clock, max_bytes: int) -> None:
        self.pool = pool
        self.topics = topics
        self.clock = clock
        self.max_bytes = max_bytes

    async def route(self, address: str) -> MailboxRoute:
        """The mailbox's tenant and provider, or ``UnknownMailboxError``."""
        async with self.pool.acquire() as conn:
            found = await route_mailbox(conn, address)
        if found is None:
            raise UnknownMailboxError(f"no email provider receives mail for {address!r}")
        return found

    async def provider_route(self, tenant_id: str, provider_id: str) -> MailboxRoute:
        """The JSON form names its provider; it must be one of the token's tenant."""
        async with self.pool.acquire() as conn:
            provider = await ProviderRepository(conn, tenant_id).get(provider_id)
        if provider is None:
            raise UnknownProviderError(f"email provider {provider_id!r} not found")
        return MailboxRoute(provider.inbound_address, tenant_id, provider.provider_id)

    def check(self, raw: bytes) -> None:
        """Raise the refusals that need no mailbox: too large, not RFC 822."""
        check_rfc822(raw, self.max_bytes)

    async def accept_raw(self, route: MailboxRoute, raw: bytes) -> IntakeResult:
        """Refuse (raises ``IntakeError``) or store one RFC 822 message for this mailbox.

        Never lost to a byte: if anything but the database fails on the way (a bug
        in parsing or building the payload), the message is still stored, ``failed``
        with the error named, and answered as such; only ``DATABASE_DOWN`` errors
        propagate (SMTP answers those 451, so the sender retries).
        """
        verdict = classify(raw, self.max_bytes)
        stored = StoredEmail(
            raw, scrub_text(verdict.message_id), verdict.status, verdict.reason, verdict.subject,
            verdict.from_address, _raw_submission(verdict, route),
        )  # fmt: skip
        try:
            return await self._store(route, stored)
        except DATABASE_DOWN:
            raise
        except Exception as exc:
            log.exception("intake of %s failed; storing it as failed", verdict.message_id)
            reason = f"intake could not process this message ({type(exc).__name__}); kept as is"
            kept = StoredEmail(raw, synthetic_message_id(raw), "failed", reason)
            return await self._store(route, kept)

    async def accept_payload(
        self, route: MailboxRoute, payload: dict[str, Any], body: bytes
    ) -> IntakeResult:
        """Store the JSON form (validated and normalised by the caller) and submit it as is.

        Its attachments are references the caller chose; no bytes come with it.
        """
        data = payload["emailData"]
        submission = Submission((), lambda _ids, _now: payload)
        stored = StoredEmail(
            body, data["id"], "accepted", None, data.get("subject"), data["from"]["email"],
            submission,
        )  # fmt: skip
        return await self._store(route, stored)

    async def _store(self, route: MailboxRoute, stored: StoredEmail) -> IntakeResult:
        now = self.clock()
        async with transaction(self.pool) as conn:
            repo = InboundEmailRepository(conn, route.tenant_id)
            email, created = await repo.record(
                route.provider_id, stored.message_id, stored.raw, status=stored.status,
                reason=_clip(stored.reason), subject=_clip(stored.subject),
                from_address=_clip(stored.from_address),
            )  # fmt: skip
            if not created:
                return _duplicate(route, email)
            if stored.submission is not None:
                await self._submit(conn, repo, route, email, stored.submission, now)
        return IntakeResult(
            email.inbound_email_id, stored.status, stored.reason,
            route.tenant_id, route.provider_id, email.message_id,
        )  # fmt: skip

    async def _submit(
        self,
        conn: asyncpg.Connection,
        repo: InboundEmailRepository,
        route: MailboxRoute,
        email: InboundEmail,
        submission: Submission,
        now: datetime,
    ) -> None:
        """Attachment bytes and the event, in the transaction that stored the email."""
        store = repo.store_attachment
        ids = [await store(email.inbound_email_id, a) for a in submission.attachments]
        event = email_event(
            route.tenant_id, route.provider_id, email.message_id,
            submission.make_payload(ids, now), inbound_email_id=email.inbound_email_id, now=now,
        )  # fmt: skip
        key = event_key(route.tenant_id, email.message_id)
        await enqueue(conn, route.tenant_id, self.topics.events, key, event, trace_headers())


def _raw_submission(verdict: Verdict, route: MailboxRoute) -> Submission | None:
    parsed = verdict.parsed
    if verdict.status != "accepted" or parsed is None:
        return None
    attachments = tuple(
        InboundAttachment(a.part_id, a.filename, a.content_type, a.data, a.content_id)
        for a in parsed.attachments
    )

    def make_payload(ids: list[str], now: datetime) -> dict[str, Any]:
        return kept_as_text(email_payload(parsed, route.tenant_id, route.provider_id, ids, now=now))

    return Submission(attachments, make_payload)


def _duplicate(route: MailboxRoute, email: InboundEmail) -> IntakeResult:
    reason = f"Message-ID {email.message_id} was already received ({email.status})"
    return IntakeResult(
        email.inbound_email_id, "duplicate", reason,
        route.tenant_id, route.provider_id, email.message_id,
    )  # fmt: skip


def _clip(value: str | None) -> str | None:
    """Subject and sender are list columns for people; the raw message keeps them whole."""
    return scrub_text(value[:998]) if value is not None else None


def kept_as_text(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with U+0000 and lone surrogates replaced by U+FFFD, marked.

    Mail is never refused for a byte (a NUL in a body or header, a surrogate from a
    broken encoding): the raw bytes are stored unchanged, and the text the workflow
    sees has each such character replaced, its JSON pointers listed in
    ``emailData.textReplaced`` (absent when nothing was replaced).
    """
    clean, changed = scrub_value(payload)
    if changed:
        clean["emailData"]["textReplaced"] = [
            "".join(f"/{part}" for part in path) for path in changed
        ]
    return dict(clean)
