"""Email through the real services: an SMTP sink for acknowledgements, seeded tenants,
messages delivered to the running ingest (SMTP and ``POST /emails``), and the
counts the e2e, chaos and bench code assert on.

The services are ``Services`` children: ``start_email_services`` starts the
interpreter, the scheduler (it runs the outbound sender) and ingest (HTTP and
SMTP), with outbound mail pointed at the sink.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import asyncpg
import httpx
from aiosmtpd.controller import Controller
from sluice_devstack.ports import free_port
from sluice_engine import ActionHandlers, load_plugins
from sluice_helpdesk import ContactRepository
from sluice_helpdesk.seeding import demo_client_id, inbound_address, seed_tenant
from sluice_storage import transaction
from workflow_core.registry import create_registry

from e2e_support.services import Services, wait_for

FINAL = ("SUCCEEDED", "FAILED", "CANCELED")


class Sink:
    """SMTP sink (aiosmtpd handler): keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def replies_to(self, message_id: str) -> list[EmailMessage]:
        """Messages whose In-Reply-To names ``message_id`` (brackets optional)."""
        wanted = f"<{message_id.strip('<>')}>"
        return [m for m in self.messages if str(m.get("In-Reply-To", "")) == wanted]


@dataclass
class SmtpSink:
    sink: Sink
    port: int
    controller: Controller

    @classmethod
    def start(cls) -> SmtpSink:
        sink, port = Sink(), free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        return cls(sink, port, controller)

    def stop(self) -> None:
        self.controller.stop()


EMAIL_SERVICES = ("interpreter", "scheduler", "ingest")


async def start_email_services(
    services: Services, sink_port: int, names: Sequence[str] = EMAIL_SERVICES
) -> None:
    """Outbound mail to the sink; ingest's SMTP listener on a free port (``smtp_port``)."""
    services.extra_env.update({
        "WF_SMTP_HOST": "127.0.0.1", "WF_SMTP_PORT": str(sink_port),
        "WF_SMTP_LISTEN_PORT": str(free_port()), "WF_LOG_LEVEL": "WARNING",
    })  # fmt: skip
    await asyncio.gather(*(services.start(name) for name in names))


def smtp_port(services: Services) -> int:
    return int(services.extra_env["WF_SMTP_LISTEN_PORT"])


async def seed(pool: asyncpg.Pool, prefix: str = "t", tenant: str = "") -> tuple[str, str]:
    """A tenant (``tenant``, else a fresh one) seeded as ``sluice seed`` does; returns
    (tenant, inbound mailbox)."""
    tenant = tenant or f"{prefix}-{uuid.uuid4().hex[:10]}"
    registry = create_registry()
    load_plugins("", registry, ActionHandlers())
    async with transaction(pool) as conn:
        await seed_tenant(conn, tenant, registry.freeze(), datetime.now(UTC))
    return tenant, inbound_address(tenant)


@dataclass
class Mail:
    """One customer email; ``build()`` gives its RFC 822 bytes."""

    sender: str
    to: str
    subject: str = "VPN down"
    text: str = "Cannot connect."
    message_id: str = field(default_factory=lambda: f"{uuid.uuid4().hex}@cust.test")
    attachments: dict[str, bytes] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    html: str | None = None  # given: multipart/alternative (text, then HTML)

    def build(self) -> bytes:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, self.to, self.subject
        message["Message-ID"] = f"<{self.message_id}>"
        for name, value in self.headers.items():
            message[name] = value
        message.set_content(self.text)
        if self.html is not None:
            message.add_alternative(self.html, subtype="html")
        for name, data in self.attachments.items():
            message.add_attachment(
                data, maintype="application", subtype="octet-stream", filename=name
            )
        return message.as_bytes()


def burst(mailbox: str, emails: int) -> list[Mail]:
    """Every third sender unknown; the others known contacts with one attachment."""
    mails = []
    for i in range(emails):
        mail = Mail(f"c{i}@cust.test", mailbox, f"Burst {i}", f"Problem number {i}.")
        if i % 3 == 0:
            mail.sender = f"stranger{i}@else.test"
        else:
            mail.attachments = {f"log{i}.txt": f"log of {i}\n".encode() * 50}
        mails.append(mail)
    return mails


async def add_contacts(pool: asyncpg.Pool, tenant: str, mails: list[Mail]) -> None:
    async with transaction(pool) as conn:
        contacts = ContactRepository(conn, tenant)
        for mail in mails:
            if mail.attachments:
                await contacts.create(mail.sender, client_id=demo_client_id(tenant))


async def send_smtp(port: int, raw: bytes, recipient: str, sender: str = "mta@cust.test") -> str:
    """Deliver to the ingest SMTP listener; returns the intake's status word."""
    _, reply = await aiosmtplib.send(
        raw, sender=sender, recipients=[recipient], hostname="127.0.0.1", port=port, timeout=30
    )
    return reply.split()[2] if reply.startswith("2.0.0 OK") else reply


async def post_rfc822(port: int, raw: bytes, recipient: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            f"http://127.0.0.1:{port}/emails", params={"to": recipient}, content=raw,
            headers={"Content-Type": "message/rfc822"},
        )  # fmt: skip


async def send_http(port: int, raw: bytes, recipient: str) -> str:
    answer = await post_rfc822(port, raw, recipient)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["status"])


async def fetch(pool: asyncpg.Pool, sql: str, *args: Any) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(sql, *args))


async def count(pool: asyncpg.Pool, table: str, tenant: str) -> int:
    async with pool.acquire() as conn:
        found = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", tenant)
    return int(found)


async def run_of(
    pool: asyncpg.Pool, tenant: str, message_id: str, services: Services, timeout_s: float = 60.0
) -> asyncpg.Record:
    """The run started for this Message-ID, once it is final."""

    async def check() -> asyncpg.Record | None:
        rows = await fetch(
            pool,
            """SELECT * FROM workflow_runs WHERE tenant_id = $1 AND correlation_key = $2
               AND status = ANY($3)""",
            tenant, message_id, list(FINAL),
        )  # fmt: skip
        return rows[0] if rows else None

    found: asyncpg.Record = await wait_for(
        check, timeout_s, f"the run of {message_id}", services, interval_s=0.2
    )
    return found


async def all_final(
    pool: asyncpg.Pool, tenant: str, expected: int, services: Services, timeout_s: float
) -> dict[str, int]:
    """Wait until ``expected`` runs of the tenant are final; returns counts by state."""

    async def check() -> dict[str, int] | None:
        rows = await fetch(
            pool,
            """SELECT status, state FROM workflow_runs WHERE tenant_id = $1""",
            tenant,
        )
        if len(rows) < expected or any(r["status"] not in FINAL for r in rows):
            return None
        states: dict[str, int] = {}
        for r in rows:
            key = f"{r['status']}/{r['state']}"
            states[key] = states.get(key, 0) + 1
        return states

    found: dict[str, int] = await wait_for(
        check, timeout_s, f"{expected} final runs of {tenant}", services, interval_s=0.5
    )
    return found
