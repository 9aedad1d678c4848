"""``sluice dead-letters list|show|requeue|discard``: dead letters for platform operators.

The API shows a tenant its own dead letters. A poison message whose tenant
cannot be read (say, a non-JSON record an external producer put on
``wf.events``) is filed under ``_unknown``, which no token can see: this
command, run by whoever holds the database, lists, inspects, re-publishes and
discards those (``--tenant`` picks another tenant, ``--all-tenants`` every one).
``requeue`` publishes the letter's original bytes, key and headers to its
original topic (straight to Kafka: an ``_unknown`` letter has no tenant to
queue it under) and stamps it requeued; a letter of a real tenant is also
written to that tenant's audit log, as the API's requeue is.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import click

from sluice_cli.shell import AUDIT_ACTOR, DATABASE_URL_HELP, fail, resolve_database_url

UNKNOWN_TENANT = "_unknown"  # sluice_messaging.dlq's name for "tenant unreadable"
SHOWN_BYTES = 4096  # of a letter's value in `show`; the database keeps all of it
COMMAND = "dead-letters"


def _letter_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a dead letter id (a UUID)") from None


async def _with_conn(url: str, work: Any) -> Any:
    from sluice_storage import connect

    conn = await connect(url)
    try:
        return await work(conn)
    finally:
        await conn.close()


@click.group("dead-letters")
def command() -> None:
    """Dead letters of any tenant, `_unknown` (tenant unreadable) by default."""


@command.command("list")
@click.option("--tenant", default=UNKNOWN_TENANT, show_default=True)
@click.option("--all-tenants", is_flag=True, help="every tenant's letters")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def list_letters(
    tenant: str, all_tenants: bool, limit: int, as_json: bool, database_url: str | None
) -> None:
    """Newest first: id, tenant, where it came from, when, and why."""
    from sluice_storage.dead_letter_admin import list_any_tenant

    url = resolve_database_url(COMMAND, database_url)
    scope = None if all_tenants else tenant
    page = asyncio.run(_with_conn(url, lambda c: list_any_tenant(c, scope, limit=limit)))
    for letter in page.items:
        if as_json:
            click.echo(json.dumps(_summary(letter)))
            continue
        state = "requeued" if letter.requeued_at else "pending"
        click.echo(
            f"{letter.id}  {letter.tenant_id:<12} {letter.topic}[{letter.partition}]@"
            f"{letter.offset}  {letter.created_at:%Y-%m-%d %H:%M:%S}  {state:<8} "
            f"{letter.reason[:80]}"
        )
    if not page.items and not as_json:
        click.echo(f"no dead letters for {'any tenant' if scope is None else scope}")


@command.command("show")
@click.argument("letter_id")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def show(letter_id: str, database_url: str | None) -> None:
    """One letter whole: headers, key, and its value as text (bytes escaped)."""
    from sluice_storage.dead_letter_admin import find_letter

    found = asyncio.run(
        _with_conn(resolve_database_url(COMMAND, database_url),
                   lambda c: find_letter(c, _letter_id(letter_id)))
    )  # fmt: skip
    if found is None:
        fail(COMMAND, f"no dead letter {letter_id}")
    value = found.value or b""
    shown = printable(value[:SHOWN_BYTES])
    more = f"\n... {len(value) - SHOWN_BYTES} more bytes" if len(value) > SHOWN_BYTES else ""
    click.echo(json.dumps({**_summary(found), "headers": found.headers}, indent=2))
    click.echo(f"key: {printable(found.key or b'')}")
    click.echo(f"value ({len(value)} bytes):\n{shown}{more}")


@command.command("requeue")
@click.argument("letter_id")
@click.option("--reason", required=True, help="why (audited for a real tenant)")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def requeue(letter_id: str, reason: str, database_url: str | None) -> None:
    """Publish the letter's original message again to its original topic."""
    from sluice_config import load_settings

    settings = load_settings()
    servers = settings.kafka_bootstrap_servers
    if not servers:
        fail(COMMAND, "no Kafka configured: set WF_KAFKA_BOOTSTRAP_SERVERS or run `sluice dev`")
    url = resolve_database_url(COMMAND, database_url)
    outcome = asyncio.run(_requeue(url, servers, _letter_id(letter_id), reason))
    if outcome is None:
        fail(COMMAND, f"no dead letter {letter_id}")
    click.echo(outcome)


@command.command("discard")
@click.argument("letter_id")
@click.option("--reason", required=True, help="why (audited for a real tenant)")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def discard(letter_id: str, reason: str, database_url: str | None) -> None:
    """Delete a letter for good (its message is not published)."""
    from sluice_storage.dead_letter_admin import discard_letter, find_letter

    wanted = _letter_id(letter_id)

    async def work(conn: Any) -> str | None:
        async with conn.transaction():
            found = await find_letter(conn, wanted)
            if found is None or not await discard_letter(conn, wanted):
                return None
            await _audit(conn, found.tenant_id, "dead-letter.discard", wanted, reason, found.topic)
            return found.tenant_id

    tenant = asyncio.run(_with_conn(resolve_database_url(COMMAND, database_url), work))
    if tenant is None:
        fail(COMMAND, f"no dead letter {letter_id}")
    click.echo(f"discarded {wanted} ({tenant})")


async def _requeue(url: str, servers: str, letter_id: uuid.UUID, reason: str) -> str | None:
    from sluice_config.clock import utc_now
    from sluice_messaging.producer import create_producer
    from sluice_storage.dead_letter_admin import find_letter, stamp_requeued

    async def work(conn: Any) -> str | None:
        found = await find_letter(conn, letter_id)
        if found is None:
            return None
        producer = create_producer(servers)
        await producer.start()
        try:
            headers = [(k, v.encode()) for k, v in found.headers.items()]
            await producer.send_and_wait(found.topic, found.value, key=found.key, headers=headers)
        finally:
            await producer.stop()
        async with conn.transaction():
            await stamp_requeued(conn, letter_id, utc_now())
            await _audit(
                conn, found.tenant_id, "dead-letter.requeue", letter_id, reason, found.topic
            )
        return f"requeued {letter_id} to {found.topic} ({found.tenant_id})"

    result: str | None = await _with_conn(url, work)
    return result


async def _audit(
    conn: Any, tenant: str, action: str, letter_id: uuid.UUID, reason: str, topic: str
) -> None:
    from sluice_config.clock import utc_now
    from sluice_storage import AuditRepository
    from sluice_storage.tenancy import TENANT_RE

    if TENANT_RE.match(tenant):  # `_unknown` has no audit log: the operator's shell is it
        await AuditRepository(conn, tenant).append(
            at=utc_now(), subject=AUDIT_ACTOR, action=action, target=str(letter_id), reason=reason,
            details={"topic": topic},
        )  # fmt: skip


def printable(raw: bytes) -> str:
    """Text for a terminal: invalid UTF-8 and control characters (NUL, ESC...) escaped."""
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or c in "\n\t" else _escaped(c) for c in text)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _summary(letter: Any) -> dict[str, Any]:
    return {
        "id": str(letter.id), "tenantId": letter.tenant_id, "topic": letter.topic,
        "partition": letter.partition, "offset": letter.offset,
        "createdAt": letter.created_at.isoformat(),
        "requeuedAt": letter.requeued_at.isoformat() if letter.requeued_at else None,
        "reason": letter.reason, "valueBytes": len(letter.value or b""),
    }  # fmt: skip
