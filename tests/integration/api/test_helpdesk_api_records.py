"""Help-desk API: clients, contacts, email providers (CRUD, pagination, roles, tenancy)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]
ClientFactory = Callable[[str | None], httpx.AsyncClient]


async def test_clients_created_then_paged_oldest_first(admin: httpx.AsyncClient) -> None:
    names = [f"Client {i}" for i in range(5)]
    for name in names:
        created = await admin.post("/clients", json={"name": name})
        assert created.status_code == 201
        assert created.json()["name"] == name
    first = await admin.get("/clients", params={"limit": 3})
    second = await admin.get("/clients", params={"limit": 3, "cursor": first.json()["nextCursor"]})
    listed = [c["name"] for c in first.json()["items"] + second.json()["items"]]
    assert listed == names
    assert second.json().get("nextCursor") is None


async def test_contact_duplicate_email_409_unknown_client_422(admin: httpx.AsyncClient) -> None:
    client = (await admin.post("/clients", json={"name": "Acme"})).json()
    body = {"email": "Jane@Customer.example", "clientId": client["clientId"], "name": "Jane"}
    created = await admin.post("/contacts", json=body)
    again = await admin.post("/contacts", json={"email": "jane@customer.example"})
    orphan = await admin.post(
        "/contacts", json={"email": "x@customer.example", "clientId": str(uuid.uuid4())}
    )
    assert created.status_code == 201
    assert created.json()["clientId"] == client["clientId"]
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert orphan.status_code == 422
    assert orphan.json()["errors"][0]["pointer"] == "/clientId"
    listed = await admin.get("/contacts", params={"clientId": client["clientId"]})
    assert [c["email"] for c in listed.json()["items"]] == ["Jane@Customer.example"]


async def test_provider_put_get_list_and_mailbox_taken_across_tenants_409(
    admin: httpx.AsyncClient, client_factory: ClientFactory, token_factory: TokenFactory
) -> None:
    address = f"Help-{uuid.uuid4().hex[:8]}@Acme.example"
    body = {"inboundAddress": address, "defaults": {"boardId": "b1", "statusId": "new"}}
    saved = await admin.put("/email-providers/main", json=body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["inboundAddress"] == address.lower()
    assert saved.json()["defaults"]["boardId"] == "b1"
    fetched = await admin.get("/email-providers/main")
    assert fetched.json() == saved.json()
    assert [p["providerId"] for p in (await admin.get("/email-providers")).json()["items"]] == [
        "main"
    ]
    other = client_factory(
        await token_factory("workflow.manage", tenant=f"t-{uuid.uuid4().hex[:8]}")
    )
    taken = await other.put("/email-providers/main", json=body)
    assert taken.status_code == 409
    assert taken.json()["code"] == "MAILBOX_TAKEN"
    assert (await other.get("/email-providers/main")).status_code == 404


async def test_provider_unknown_default_key_422(admin: httpx.AsyncClient) -> None:
    answer = await admin.put(
        "/email-providers/p1",
        json={"inboundAddress": f"x-{uuid.uuid4().hex[:6]}@a.example", "defaults": {"nope": 1}},
    )
    assert answer.status_code == 422


async def test_helpdesk_roles_view_reads_manage_writes(
    client_factory: ClientFactory, token_factory: TokenFactory
) -> None:
    viewer = client_factory(await token_factory("workflow.view"))
    manager = client_factory(await token_factory("workflow.manage"))
    anonymous = client_factory(None)
    assert (await viewer.get("/clients")).status_code == 200
    assert (await viewer.post("/clients", json={"name": "x"})).status_code == 403
    assert (await manager.post("/clients", json={"name": "x"})).status_code == 201
    assert (await anonymous.get("/tickets")).status_code == 401
    address = f"r-{uuid.uuid4().hex[:6]}@a.example"
    assert (
        await viewer.put("/email-providers/p", json={"inboundAddress": address})
    ).status_code == 403
