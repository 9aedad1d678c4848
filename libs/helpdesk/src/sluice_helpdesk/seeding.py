"""Demo data and the reference workflow for one tenant (``sluice seed --tenant T``).

Idempotent: every record has a fixed identity derived from the tenant, is
created only when missing (an operator's later edits are kept), and the
inbound-email workflow is published only when the shipped document differs
from the latest published version. Publishing goes the API's way: core
validation (``validate_definition``) with the service registry, then
``DefinitionRepository`` under the definition's row lock. Everything happens
in one transaction under a per-tenant advisory lock, so two concurrent seeds
of the same tenant serialise.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from sluice_storage import DefinitionRepository, ensure_tenant
from workflow_core.registry import Registry
from workflow_core.validation import validate_definition

from sluice_helpdesk.clients import ClientRepository
from sluice_helpdesk.contacts import ContactRepository
from sluice_helpdesk.providers import ProviderRepository
from sluice_helpdesk.workflows import inbound_email_definition

_SEED_NAMESPACE = uuid.UUID("9a4f1c3e-6b2d-4e8a-b1c7-5d3e2f1a0b99")
DEMO_PROVIDER_ID = "default"
DEMO_CONTACT_EMAIL = "customer@example.com"
SEED_SUBJECT = "seed"


def inbound_address(tenant_id: str) -> str:
    """Unique across tenants because the tenant slug is part of the domain."""
    return f"support@{tenant_id}.sluice.local"


def demo_client_id(tenant_id: str) -> str:
    return str(uuid.uuid5(_SEED_NAMESPACE, f"{tenant_id}:demo-client"))


def demo_defaults(tenant_id: str) -> dict[str, Any]:
    return {"boardId": "support", "statusId": "new", "priorityId": "normal",
            "clientId": demo_client_id(tenant_id), "enteredBy": "email",
            "categoryId": None, "subcategoryId": None, "locationId": "head-office"}  # fmt: skip


class SeedError(Exception):
    """The shipped workflow does not pass publish validation (a packaging bug)."""


@dataclass
class SeedReport:
    tenant_id: str
    lines: list[str] = field(default_factory=list)
    workflow_id: str = ""
    workflow_version: int | None = None

    def note(self, line: str) -> None:
        self.lines.append(line)


async def seed_tenant(
    conn: asyncpg.Connection, tenant_id: str, registry: Registry, now: datetime
) -> SeedReport:
    """Seed ``tenant_id`` in the caller's transaction; returns what was done."""
    report = SeedReport(tenant_id)
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('sluice-seed:' || $1))", tenant_id)
    if await ensure_tenant(conn, tenant_id):
        report.note(f"created tenant {tenant_id}")
    client_id = await _client(conn, tenant_id, report)
    await _contact(conn, tenant_id, client_id, report)
    await _provider(conn, tenant_id, report)
    await _workflow(conn, tenant_id, registry, now, report)
    return report


async def _client(conn: asyncpg.Connection, tenant_id: str, report: SeedReport) -> str:
    repo, client_id = ClientRepository(conn, tenant_id), demo_client_id(tenant_id)
    if await repo.get(client_id) is None:
        await repo.create("Demo Client", client_id=client_id)
        report.note(f"created client 'Demo Client' ({client_id})")
    else:
        report.note(f"client 'Demo Client' exists ({client_id})")
    return client_id


async def _contact(
    conn: asyncpg.Connection, tenant_id: str, client_id: str, report: SeedReport
) -> None:
    repo = ContactRepository(conn, tenant_id)
    found = await repo.find_by_email(DEMO_CONTACT_EMAIL)
    if found is None:
        found = await repo.create(DEMO_CONTACT_EMAIL, client_id=client_id, name="Demo Customer")
        report.note(f"created contact {DEMO_CONTACT_EMAIL} ({found.contact_id})")
    else:
        report.note(f"contact {DEMO_CONTACT_EMAIL} exists ({found.contact_id})")


async def _provider(conn: asyncpg.Connection, tenant_id: str, report: SeedReport) -> None:
    repo = ProviderRepository(conn, tenant_id)
    existing = await repo.get(DEMO_PROVIDER_ID)
    if existing is not None:
        report.note(f"email provider {DEMO_PROVIDER_ID} exists ({existing.inbound_address})")
        return
    address = inbound_address(tenant_id)
    await repo.save(DEMO_PROVIDER_ID, address, demo_defaults(tenant_id))
    report.note(f"created email provider {DEMO_PROVIDER_ID}: inbound address {address}, defaults")


async def _workflow(
    conn: asyncpg.Connection, tenant_id: str, registry: Registry, now: datetime, report: SeedReport
) -> None:
    document = inbound_email_definition()
    workflow_id = uuid.UUID(document["id"])
    report.workflow_id = str(workflow_id)
    validation = validate_definition(document, registry=registry, known_workflows={})
    if not validation.ok:
        codes = ", ".join(f"{e.code} at {e.step_path}" for e in validation.errors)
        raise SeedError(f"the shipped inbound-email workflow does not validate: {codes}")
    repo = DefinitionRepository(conn, tenant_id)
    latest = await repo.get_version(workflow_id)
    if latest is not None and latest.definition == document:
        report.workflow_version = latest.version
        report.note(
            f"workflow '{document['name']}' v{latest.version} is up to date ({workflow_id})"
        )
        return
    await repo.save_draft(workflow_id, document, now)
    ref = document.get("payloadSchemaRef")
    schema = registry.schemas.get(ref) if isinstance(ref, str) else None
    stored = await repo.publish(
        workflow_id, document, payload_schema=schema, published_by=SEED_SUBJECT, now=now
    )
    report.workflow_version = stored.version
    report.note(f"published workflow '{document['name']}' v{stored.version} ({workflow_id})")
