"""``sluice runs|events|tasks`` against the real API over real HTTP (uvicorn on a free
port, the migrated PostgreSQL; no mock of anything): each command's happy path, its
refusals with their exit codes, problem details as one clear line."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from cli_support import api_args, sluice
from sluice_devstack.ports import free_port
from workflows import asks_a_human, fails_unless_ok, publish, start, state_only, waits_for_event

pytestmark = pytest.mark.integration
TokenFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def api(live_api: str, token_factory: TokenFactory) -> tuple[str, ...]:
    """``--api URL --token <admin token of this test's tenant>``."""
    return api_args(live_api, await token_factory("workflow.admin"))


async def waiting_runs(admin: httpx.AsyncClient, count: int) -> tuple[str, list[str]]:
    wf = await publish(admin, waits_for_event(f"E_{uuid.uuid4().hex[:8]}"))
    runs = [(await start(admin, wf, {"key": f"k{i}"}))["runId"] for i in range(count)]
    return wf, runs


async def test_runs_list_filters_and_json_is_one_document(
    admin: httpx.AsyncClient, api: tuple[str, ...]
) -> None:
    wf, runs = await waiting_runs(admin, 3)
    other = await start(admin, await publish(admin, state_only()), {})
    listed = await sluice("runs", "list", "--workflow", wf, "-o", "json", *api)
    assert listed.code == 0, listed.err
    document = listed.json()
    assert [r["runId"] for r in document["items"]] == runs[::-1]  # newest first
    assert document["nextCursor"] is None
    waiting = await sluice("runs", "list", "--status", "waiting", "-o", "json", *api)
    assert {r["runId"] for r in waiting.json()["items"]} == set(runs)
    succeeded = await sluice("runs", "list", "-s", "SUCCEEDED", "-o", "json", *api)
    assert [r["runId"] for r in succeeded.json()["items"]] == [other["runId"]]
    oldest = await sluice("runs", "list", "-w", wf, "--oldest-first", "-o", "json", *api)
    assert [r["runId"] for r in oldest.json()["items"]] == runs
    recent = await sluice("runs", "list", "--since", "1h", "-o", "json", *api)
    assert len(recent.json()["items"]) == 4
    before = await sluice("runs", "list", "--until", "1h", "-o", "json", *api)
    assert before.json()["items"] == []
    by_id = await sluice("runs", "list", "-q", runs[1], "-o", "json", *api)
    assert [r["runId"] for r in by_id.json()["items"]] == [runs[1]]


async def test_runs_list_pages_with_cursors_and_all_follows_them(
    admin: httpx.AsyncClient, api: tuple[str, ...]
) -> None:
    wf, runs = await waiting_runs(admin, 5)
    first = await sluice("runs", "list", "-w", wf, "--limit", "2", "-o", "json", *api)
    page = first.json()
    assert [r["runId"] for r in page["items"]] == runs[::-1][:2]
    assert page["nextCursor"]
    second = await sluice(
        "runs", "list", "-w", wf, "--limit", "2", "--cursor", page["nextCursor"], "-o", "json",
        *api,
    )  # fmt: skip
    assert [r["runId"] for r in second.json()["items"]] == runs[::-1][2:4]
    every = await sluice("runs", "list", "-w", wf, "--limit", "2", "--all", "-o", "json", *api)
    assert every.code == 0
    assert [r["runId"] for r in every.json()["items"]] == runs[::-1]
    assert every.json()["nextCursor"] is None
    assert every.err.splitlines() == ["fetched 2 runs", "fetched 4 runs", "fetched 5 runs"]
    table = await sluice("runs", "list", "-w", wf, "--limit", "2", *api)
    assert f"more runs: --cursor {page['nextCursor']} (or --all)" in table.err


async def test_runs_table_fits_the_terminal_and_keeps_ids_whole(
    admin: httpx.AsyncClient, api: tuple[str, ...]
) -> None:
    run = await start(admin, await publish(admin, fails_unless_ok()), {"ok": False})
    wide = await sluice("runs", "list", *api, env={"COLUMNS": "200"})
    narrow = await sluice("runs", "list", *api, env={"COLUMNS": "100"})
    assert wide.code == narrow.code == 0
    assert wide.out.splitlines()[0].split() == [
        "RUN", "STATUS", "WORKFLOW", "V", "STATE", "STARTED", "TRIGGER", "WHERE", "/", "ERROR",
    ]  # fmt: skip
    assert "ExpressionError: " in wide.out
    lines = narrow.out.splitlines()
    assert len(lines) == 2
    assert max(len(line) for line in lines) <= 100 < max(len(line) for line in wide.out.split("\n"))
    assert lines[1].startswith(run["runId"] + "  FAILED")  # the id is whole, others shrink
    assert "…" in lines[1]


async def test_runs_show_and_unknown_or_malformed_run(
    admin: httpx.AsyncClient, api: tuple[str, ...]
) -> None:
    run = await start(admin, await publish(admin, fails_unless_ok()), {"ok": False})
    shown = await sluice("runs", "show", run["runId"], "-o", "json", *api)
    assert shown.code == 0
    assert shown.json() == (await admin.get(f"/workflow-runs/{run['runId']}")).json()
    table = await sluice("runs", "show", run["runId"], *api)
    assert "status           FAILED" in table.out
    assert '"category": "ExpressionError"' in table.out  # the error, whole
    missing = str(uuid.uuid4())
    unknown = await sluice("runs", "show", missing, *api)
    assert (unknown.code, unknown.out) == (1, "")
    assert unknown.err == f"sluice runs show: error: 404 NOT_FOUND: run {missing} not found\n"
    malformed = await sluice("runs", "show", "not-a-run", *api)
    assert malformed.code == 2
    assert "'not-a-run' is not a run id (a UUID)" in malformed.err


async def test_cancel_needs_a_reason_then_cancels_once(
    admin: httpx.AsyncClient, api: tuple[str, ...], pool: Any, tenant_id: str
) -> None:
    _, (run,) = await waiting_runs(admin, 1)
    no_reason = await sluice("runs", "cancel", run, *api)
    assert no_reason.code == 2
    assert "Missing option '--reason'" in no_reason.err
    canceled = await sluice("runs", "cancel", run, "--reason", "customer asked", "-o", "json", *api)
    assert canceled.code == 0, canceled.err
    assert canceled.json()["status"] == "CANCELED"
    again = await sluice("runs", "cancel", run, "--reason", "twice", *api)
    assert again.code == 1
    assert again.err.startswith("sluice runs cancel: error: 409 ")
    async with pool.acquire() as conn:
        audited = await conn.fetch(
            "SELECT action, reason FROM audit_log WHERE tenant_id = $1 AND target = $2",
            tenant_id, run,
        )  # fmt: skip
    assert [(a["action"], a["reason"]) for a in audited] == [("run.cancel", "customer asked")]


async def test_resume_with_a_payload_and_a_malformed_payload(
    admin: httpx.AsyncClient, api: tuple[str, ...]
) -> None:
    _, (run,) = await waiting_runs(admin, 1)
    malformed = await sluice("runs", "resume", run, "--reason", "ops", "--payload", "{ok", *api)
    assert malformed.code == 2
    assert "Invalid value for --payload: not JSON" in malformed.err
    resumed = await sluice(
        "runs", "resume", run, "--reason", "ops", "--payload", '{"ok": 1}', "-o", "json", *api
    )
    assert resumed.code == 0, resumed.err
    assert (resumed.json()["status"], resumed.json()["state"]) == ("SUCCEEDED", "APPROVED")


async def test_retry_with_an_edited_payload_from_stdin(
    admin: httpx.AsyncClient, api: tuple[str, ...]
) -> None:
    run = await start(admin, await publish(admin, fails_unless_ok()), {"ok": False})
    retried = await sluice(
        "runs", "retry", run["runId"], "--reason", "fixed", "--payload", "-", "-o", "json", *api,
        stdin='{"ok": true}',
    )  # fmt: skip
    assert retried.code == 0, retried.err
    assert (retried.json()["status"], retried.json()["state"]) == ("SUCCEEDED", "OK")
    not_failed = await sluice("runs", "retry", run["runId"], "--reason", "again", *api)
    assert not_failed.code == 1
    assert "409" in not_failed.err


async def test_replay_prints_the_new_run(admin: httpx.AsyncClient, api: tuple[str, ...]) -> None:
    run = await start(admin, await publish(admin, state_only("DONE")), {"a": 1})
    replayed = await sluice("runs", "replay", run["runId"], "--reason", "again", "-o", "json", *api)
    assert replayed.code == 0, replayed.err
    new = replayed.json()
    assert new["runId"] != run["runId"]
    assert (new["workflowId"], new["workflowVersion"]) == (run["workflowId"], 1)
    fetched = (await admin.get(f"/workflow-runs/{new['runId']}")).json()
    assert fetched["status"] == "SUCCEEDED"


async def test_events_send_starts_and_resumes_and_shows_pointers(
    admin: httpx.AsyncClient, api: tuple[str, ...]
) -> None:
    name = f"GO_{uuid.uuid4().hex[:8]}"
    trigger = {"type": "event", "eventName": name}
    wf = await publish(admin, {**state_only("STARTED"), "trigger": trigger})
    sent = await sluice("events", "send", name, "--key", "c1", "--payload", '{"x": 1}',
                        "-o", "json", *api)  # fmt: skip
    assert sent.code == 0, sent.err
    started = sent.json()["startedRunIds"]
    assert len(started) == 1
    run = (await admin.get(f"/workflow-runs/{started[0]}")).json()
    assert (run["workflowId"], run["state"]) == (wf, "STARTED")
    _, (waiting,) = await waiting_runs(admin, 1)
    event = (await admin.get(f"/workflow-runs/{waiting}/waits")).json()["items"][0]["eventName"]
    resumed = await sluice("events", "send", event, "--key", "k0", "--payload", '{"ok": true}',
                           "--idempotency-key", "once", *api)  # fmt: skip
    assert resumed.code == 0, resumed.err
    assert f"resumedRunId   {waiting}" in resumed.out
    twice = await sluice("events", "send", event, "--key", "k0", "--idempotency-key", "once",
                         "-o", "json", *api)  # fmt: skip
    assert twice.json()["duplicate"] is True
    invalid = await sluice("events", "send", name, "--key", "c1", "--payload", "[1, 2]", *api)
    assert (invalid.code, invalid.out) == (1, "")
    assert invalid.err.startswith("sluice events send: error: 422 VALIDATION_FAILED: ")
    assert "/payload: " in invalid.err
    assert invalid.err.count("\n") == 1


async def test_tasks_list_claim_and_complete_with_field_errors(
    admin: httpx.AsyncClient, api: tuple[str, ...]
) -> None:
    run = await start(admin, await publish(admin, asks_a_human()), {"key": "T-1"})
    listed = await sluice("tasks", "list", "--run", run["runId"], "-o", "json", *api)
    assert listed.code == 0, listed.err
    (task,) = listed.json()["items"]
    assert (task["status"], task["title"]) == ("OPEN", "Review T-1")
    table = await sluice("tasks", "list", "--status", "open", *api)
    assert task["taskId"] in table.out
    assert "Review T-1" in table.out
    claimed = await sluice("tasks", "claim", task["taskId"], "-o", "json", *api)
    assert claimed.code == 0, claimed.err
    assert (claimed.json()["status"], claimed.json()["claimedBy"]) == ("CLAIMED", "tester")
    refused = await sluice("tasks", "complete", task["taskId"], "--data", '{"decision": "maybe"}',
                           *api)  # fmt: skip
    assert refused.code == 1
    assert "422 INVALID_TASK_OUTPUT" in refused.err
    assert "/decision: " in refused.err
    done = await sluice("tasks", "complete", task["taskId"], "--data", '{"decision": "yes"}',
                        "-o", "json", *api)  # fmt: skip
    assert done.code == 0, done.err
    assert (done.json()["status"], done.json()["output"]) == ("COMPLETED", {"decision": "yes"})
    finished = (await admin.get(f"/workflow-runs/{run['runId']}")).json()
    assert (finished["status"], finished["state"]) == ("SUCCEEDED", "REVIEWED")
    unknown = await sluice("tasks", "claim", str(uuid.uuid4()), *api)
    assert unknown.code == 1
    assert "404 NOT_FOUND" in unknown.err


async def test_tokens_and_addresses_exit_codes(
    live_api: str, token_factory: TokenFactory, admin: httpx.AsyncClient
) -> None:
    _, (run,) = await waiting_runs(admin, 1)
    bad = await sluice("runs", "list", *api_args(live_api, "slc_not-a-token"))
    assert (bad.code, bad.out) == (1, "")
    assert bad.err == (
        "sluice runs list: error: 401 UNAUTHENTICATED: the bearer token is unknown, expired "
        "or revoked\n"
    )
    viewer = api_args(live_api, await token_factory("workflow.view"))
    forbidden = await sluice("runs", "cancel", run, "--reason", "x", *viewer)
    assert forbidden.code == 1
    assert "403 FORBIDDEN: this needs role workflow.admin or above" in forbidden.err
    assert (await sluice("runs", "show", run, *viewer)).code == 0
    no_token = await sluice("runs", "list", "--api", live_api, env={"WF_API_TOKEN": ""})
    assert no_token.code == 2
    assert "no API token: pass --token or set WF_API_TOKEN" in no_token.err
    down = await sluice("runs", "list", *api_args(f"http://127.0.0.1:{free_port()}", "slc_x"))
    assert down.code == 3
    assert "cannot reach the API at http://127.0.0.1:" in down.err
    not_sluice = await sluice("runs", "list", *api_args(live_api + "/ui", "slc_x"))
    assert (not_sluice.code, not_sluice.out) == (3, "")
    assert "answered GET /workflow-runs with 200 but not JSON (text/html" in not_sluice.err
    from_env = await sluice("runs", "show", run, "-o", "json", env={
        "WF_API_URL": live_api, "WF_API_TOKEN": await token_factory("workflow.view")})  # fmt: skip
    assert from_env.code == 0, from_env.err
    assert from_env.json()["runId"] == run
