"""``sluice definitions export|apply`` against the real API over real HTTP: stable
export, a plan by step-level diff, only changed workflows published, idempotent,
callees before callers, nothing applied when a file is invalid or no one confirmed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_support import api_args, sluice
from workflows import publish, state_only

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def api(live_api: str, token_factory: TokenFactory) -> tuple[str, ...]:
    return api_args(live_api, await token_factory("workflow.admin"))


def write(directory: Path, name: str, document: dict[str, Any]) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(json.dumps(document, indent=2))


def greeting(workflow_id: str, state: str = "GREETED") -> dict[str, Any]:
    return {"id": workflow_id, "name": "Greeting", "trigger": {"type": "event",
            "eventName": "SIGNED_UP"}, "steps": [
        {"id": "greet", "type": "transform.assign",
         "config": {"assign": {"vars.greeting": {"$expr": "'Hello ' & payload.name"}}}},
        {"id": "done", "type": "state.set", "config": {"state": state}},
    ]}  # fmt: skip


def caller(workflow_id: str, callee: str) -> dict[str, Any]:
    return {"id": workflow_id, "name": "Caller", "steps": [
        {"id": "call", "type": "control.callWorkflow", "workflowId": callee},
        {"id": "done", "type": "state.set", "config": {"state": "CALLED"}},
    ]}  # fmt: skip


async def versions(admin: httpx.AsyncClient) -> dict[str, int | None]:
    items = (await admin.get("/workflow-definitions", params={"limit": 500})).json()["items"]
    return {item["id"]: item["latestVersion"] for item in items}


async def test_apply_plans_confirms_publishes_changed_only_and_is_idempotent(
    admin: httpx.AsyncClient, api: tuple[str, ...], tmp_path: Path
) -> None:
    callee, calling, plain = (str(uuid.uuid4()) for _ in range(3))
    flows = tmp_path / "flows"
    # "a-caller.json" sorts before its callee: apply must publish the callee first
    write(flows, "a-caller.json", caller(calling, callee))
    write(flows, "b-callee.json", {**state_only("CALLEE"), "id": callee, "name": "Callee"})
    write(flows, "c-greeting.json", {"$schema": "../schema.json", **greeting(plain)})

    dry = await sluice("definitions", "apply", str(flows), "--dry-run", *api)
    assert dry.code == 0, dry.err
    assert [line.split()[0] for line in dry.out.splitlines()] == ["create"] * 3
    assert "plan: 3 to create, 0 to change, 0 unchanged" in dry.err
    assert await versions(admin) == {}
    unconfirmed = await sluice("definitions", "apply", str(flows), *api)
    assert unconfirmed.code == 2
    assert "pass --yes" in unconfirmed.err
    assert await versions(admin) == {}

    applied = await sluice("definitions", "apply", str(flows), "--yes", "-o", "json", *api)
    assert applied.code == 0, applied.err
    done = applied.json()["applied"]
    assert [(a["id"], a["action"], a["publishedVersion"]) for a in done] == [
        (callee, "create", 1), (calling, "create", 1), (plain, "create", 1)]  # fmt: skip
    assert await versions(admin) == {callee: 1, calling: 1, plain: 1}
    stored = (await admin.get(f"/workflow-definitions/{plain}/1")).json()["definition"]
    assert "$schema" not in stored

    again = await sluice("definitions", "apply", str(flows), "--yes", *api)
    assert again.code == 0, again.err
    assert [line.split()[0] for line in again.out.splitlines()] == ["unchanged"] * 3
    assert "nothing to apply: every definition is unchanged" in again.err
    assert await versions(admin) == {callee: 1, calling: 1, plain: 1}

    changed = greeting(plain, state="WELCOMED")
    changed["steps"].append({"id": "log", "type": "state.set", "config": {"state": "LOGGED"}})
    write(flows, "c-greeting.json", changed)
    plan = await sluice("definitions", "apply", str(flows), "--dry-run", "-o", "json", *api)
    entries = {entry["id"]: entry for entry in plan.json()["plan"]}
    assert entries[plain]["action"] == "change"
    assert entries[plain]["changes"] == {"added": ["log"], "changed": ["done"]}
    assert {entries[callee]["action"], entries[calling]["action"]} == {"unchanged"}
    third = await sluice("definitions", "apply", str(flows), "-y", *api)
    assert third.code == 0, third.err
    assert f'change     {flows / "c-greeting.json"}  "Greeting" ({plain}) v1  added: log; ' \
        "changed: done" in third.out  # fmt: skip
    assert await versions(admin) == {callee: 1, calling: 1, plain: 2}


async def test_apply_refuses_invalid_files_and_matches_by_name(
    admin: httpx.AsyncClient, api: tuple[str, ...], tmp_path: Path
) -> None:
    existing = await publish(admin, {**state_only("OLD"), "name": "Named only"})
    flows = tmp_path / "flows"
    write(flows, "named.json", {**state_only("NEW"), "name": "Named only"})  # no id: by name
    write(flows, "broken.json", {"id": str(uuid.uuid4()), "name": "Broken", "steps": [
        {"id": "wait", "type": "timer.delay", "config": {"durationMs": -1}}]})  # fmt: skip
    refused = await sluice("definitions", "apply", str(flows), "--yes", *api)
    assert refused.code == 1
    broken = flows / "broken.json"
    assert f"{broken}: error INVALID_CONFIG at root.steps[0]: config/durationMs: " in refused.out
    assert "1 of 2 files have errors; nothing was applied" in refused.err
    assert await versions(admin) == {existing: 1}
    broken.unlink()
    applied = await sluice("definitions", "apply", str(flows), "--yes", *api)
    assert applied.code == 0, applied.err
    assert applied.out.splitlines()[0].startswith(f"change     {flows / 'named.json'}")
    assert await versions(admin) == {existing: 2}
    latest = (await admin.get(f"/workflow-definitions/{existing}/2")).json()["definition"]
    assert latest["steps"][0]["config"] == {"state": "NEW"}
    write(flows, "bad-id.json", {**state_only(), "id": "not-a-uuid"})
    bad_id = await sluice("definitions", "apply", str(flows), "--dry-run", *api)
    assert bad_id.code == 1
    assert "INVALID_FILE at root: id must be a UUID" in bad_id.out


async def test_export_is_stable_and_applies_back_unchanged(
    admin: httpx.AsyncClient, api: tuple[str, ...], tmp_path: Path
) -> None:
    first = await publish(admin, greeting(str(uuid.uuid4())))
    twin = await publish(admin, greeting(str(uuid.uuid4())))  # the same name: ids tell apart
    other = await publish(admin, {**state_only(), "name": "Ünïcode & more!"})
    await admin.put(f"/workflow-definitions/{other}/draft",
                    json={**state_only("EDITED"), "name": "Ünïcode & more!"})  # fmt: skip
    draft_only = (await admin.post("/workflow-definitions", json=state_only())).json()["id"]
    out = tmp_path / "export"
    exported = await sluice("definitions", "export", str(out), *api)
    assert exported.code == 0, exported.err
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"greeting-{first[:8]}.json", f"greeting-{twin[:8]}.json",
                            "unicode-more.json"])  # fmt: skip
    assert "1 never published, not written" in exported.err
    text = (out / "unicode-more.json").read_text()
    document = json.loads(text)
    assert list(document) == ["id", "name", "steps"]
    assert document["steps"][0] == {"id": "s1", "type": "state.set", "config": {"state": "DONE"}}
    assert list(json.loads((out / f"greeting-{first[:8]}.json").read_text())) == [
        "id", "name", "trigger", "steps"]  # fmt: skip
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = await sluice("definitions", "export", str(out), *api)
    assert again.code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    roundtrip = await sluice("definitions", "apply", str(out), "--yes", *api)
    assert roundtrip.code == 0, roundtrip.err
    assert "nothing to apply" in roundtrip.err
    assert "its draft has unpublished edits (left as they are)" in roundtrip.out
    drafts = tmp_path / "drafts"
    with_drafts = await sluice("definitions", "export", str(drafts), "--draft", "-o", "json", *api)
    assert with_drafts.code == 0
    assert {f["id"] for f in with_drafts.json()["files"]} == {first, twin, other, draft_only}
    edited = json.loads((drafts / "unicode-more.json").read_text())
    assert edited["steps"][0]["config"] == {"state": "EDITED"}


async def test_export_and_apply_need_the_api(tmp_path: Path, live_api: str) -> None:
    refused = await sluice("definitions", "export", str(tmp_path), *api_args(live_api, "slc_no"))
    assert refused.code == 1
    assert "401 UNAUTHENTICATED" in refused.err
    missing = await sluice("definitions", "apply", str(tmp_path / "nope"), "--token", "slc_x")
    assert missing.code == 2
    assert "is not a directory" in missing.err
