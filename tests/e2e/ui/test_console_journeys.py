"""The operations console in a real browser (issue 13), one test per operator journey,
against the real stack: API (serving ui/dist), interpreter and scheduler as
subprocesses, Chromium through Playwright. Elements are found by role and accessible
name; screenshots of each page go to docs/screenshots/console-*.png."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from e2e_support.helpers import prepare
from e2e_support.mail import Mail, run_of, seed, send_smtp
from e2e_support.services import Services, wait_for
from playwright.async_api import Locator, Page, expect
from sluice_helpdesk.seeding import DEMO_CONTACT_EMAIL
from sluice_messaging.topics import Topics

PageFor = Callable[..., Awaitable[Page]]
TokenFor = Callable[..., Awaitable[str]]

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


async def shot(page: Page | Locator, name: str) -> None:
    """The whole page, or one element of it (a panel, a dialog)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"console-{name}.png")
    if isinstance(page, Page):
        await page.screenshot(path=path, full_page=True)
    else:
        await page.screenshot(path=path)


async def call(base_url: str, token: str, method: str, path: str, **kw: Any) -> Any:
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as client:
        response = await client.request(
            method, path, headers={"Authorization": f"Bearer {token}"}, **kw
        )
    assert response.status_code < 300, response.text
    return response.json()


async def publish(base_url: str, token: str, document: dict[str, Any]) -> str:
    created = await call(base_url, token, "POST", "/workflow-definitions", json=document)
    published = await call(
        base_url, token, "POST", f"/workflow-definitions/{created['id']}/draft/publish"
    )
    assert published["ok"], published
    return str(created["id"])


async def run_status(base_url: str, token: str, run_id: str, wanted: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        run = await call(base_url, token, "GET", f"/workflow-runs/{run_id}")
        return run if run["status"] == wanted else None

    found: dict[str, Any] = await wait_for(check, 60, f"run {run_id} {wanted}")
    return found


PICKY = {
    "name": "Picky records",
    "steps": [
        {"id": "record", "type": "action.call",
         "config": {"actionId": "test.record", "version": 1,
                    "args": {"boom": {"$expr": "payload.boom"}}}},
        {"id": "done", "type": "state.set", "config": {"state": "RECORDED"}},
    ],
}  # fmt: skip


async def test_failed_run_found_by_chip_inspected_retried_and_watched_succeed_live(
    page_for: PageFor, token_for: TokenFor, base_url: str, e2e_pool: asyncpg.Pool
) -> None:
    await prepare(e2e_pool)  # test.record's table
    token = await token_for("workflow.admin")
    workflow_id = await publish(base_url, token, PICKY)
    ok = await call(
        base_url,
        token,
        "POST",
        "/workflow-runs",
        json={"workflowId": workflow_id, "payload": {"boom": False}},
    )
    bad = await call(
        base_url,
        token,
        "POST",
        "/workflow-runs",
        json={"workflowId": workflow_id, "payload": {"boom": True}},
    )
    await run_status(base_url, token, bad["runId"], "FAILED")
    await run_status(base_url, token, ok["runId"], "SUCCEEDED")

    page = await page_for(token, path="runs")
    runs = page.get_by_role("table", name="Runs")
    await expect(runs.get_by_role("link", name=ok["runId"][:8])).to_be_visible()
    await shot(page, "runs")
    await page.get_by_role("button", name="Failed only").click()
    await expect(page.get_by_role("button", name="Failed only")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(runs.get_by_role("link", name=ok["runId"][:8])).to_have_count(0)
    assert "status=FAILED" in page.url  # the filter is in the URL
    await runs.get_by_role("link", name=bad["runId"][:8]).click()

    await expect(page.get_by_role("heading", name=f"Run {bad['runId'][:8]}")).to_be_visible()
    await expect(page.get_by_role("alert").filter(has_text="boom after the insert")).to_be_visible()
    step = page.get_by_role("region", name="Step record")
    await step.get_by_role("tab", name="Payload").click()
    await expect(step.get_by_role("group", name="Payload (redacted)")).to_contain_text("boom: true")
    await step.get_by_role("tab", name="Error ●").click()
    await expect(step.get_by_role("tabpanel")).to_contain_text("boom after the insert")
    await shot(step, "step-panel")
    await shot(page, "run-failed")

    await page.evaluate("window.__sameDocument = true")  # a reload would drop it
    await page.get_by_role("button", name="Retry run").click()
    dialog = page.get_by_role("dialog", name="Retry from the failed step")
    await dialog.get_by_label("Reason (required, audited)").fill("fixed the payload")
    editor = dialog.get_by_label("Payload (JSON; empty keeps the run's)")
    await expect(editor).to_have_value(json.dumps({"boom": True}, indent=2))
    await editor.fill('{"boom": false')
    await expect(dialog.get_by_role("list", name="Problems with the JSON")).to_be_visible()
    await editor.fill('{"boom": false}')
    await dialog.get_by_role("button", name="Retry from the failed step").click()
    await expect(
        page.get_by_role("heading", name=f"Run {bad['runId'][:8]}").get_by_text("SUCCEEDED")
    ).to_be_visible(timeout=60_000)
    assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"
    await expect(page.get_by_role("region", name="Audit")).to_contain_text("run.retry")
    await expect(page.get_by_role("region", name="Audit")).to_contain_text("fixed the payload")
    # the ledger: the failed call ran again under its key (twice in all), now SUCCEEDED
    call_row = (
        page.get_by_role("table", name="Side-effect ledger")
        .get_by_role("row")
        .filter(has_text="test.record v1")
    )
    await expect(call_row).to_contain_text("executed again")
    await expect(call_row).to_contain_text("SUCCEEDED")
    await shot(page, "run-retried")


async def test_a_viewer_sees_no_controls(
    page_for: PageFor, token_for: TokenFor, base_url: str, e2e_pool: asyncpg.Pool
) -> None:
    await prepare(e2e_pool)
    admin = await token_for("workflow.admin")
    workflow_id = await publish(base_url, admin, PICKY)
    bad = await call(
        base_url,
        admin,
        "POST",
        "/workflow-runs",
        json={"workflowId": workflow_id, "payload": {"boom": True}},
    )
    await run_status(base_url, admin, bad["runId"], "FAILED")
    viewer = await token_for("workflow.view", subject="vic")
    page = await page_for(viewer, path=f"runs/{bad['runId']}")
    await expect(page.get_by_role("heading", name=f"Run {bad['runId'][:8]}")).to_be_visible()
    await expect(page.get_by_text("needs the workflow.admin role")).to_be_visible()
    await expect(page.get_by_role("button", name="Retry run")).to_have_count(0)
    await expect(page.get_by_role("button", name="Replay run")).to_have_count(0)
    await page.goto(page.url.split("/ui/")[0] + "/ui/runs")
    await page.get_by_role("checkbox", name=f"Select run {bad['runId']}").check()
    await expect(page.get_by_role("button", name="Retry selected")).to_have_count(0)
    await page.get_by_role("link", name="Dead letters").click()
    await expect(page.get_by_role("button", name="Requeue")).to_have_count(0)
    await page.get_by_role("link", name="Tasks").click()
    await expect(page.get_by_text("needs the workflow.manage role")).to_be_visible()


async def test_an_email_becomes_a_ticket_and_a_run(
    page_for: PageFor, token_for: TokenFor, tenant: str, e2e_pool: asyncpg.Pool,
    ui_stack: Services, smtp_intake: int,
) -> None:  # fmt: skip
    _, mailbox = await seed(e2e_pool, tenant=tenant)  # publishes the reference workflow
    mail = Mail(sender=f"Customer <{DEMO_CONTACT_EMAIL}>", to=mailbox, subject="Printer is on fire",
                text="Hello,\nthe printer on floor 3 is on fire.")  # fmt: skip
    assert await send_smtp(smtp_intake, mail.build(), mailbox) == "accepted"
    run = await run_of(e2e_pool, tenant, mail.message_id, ui_stack)
    run_id = str(run["run_id"])

    page = await page_for(await token_for("workflow.view", subject="vic"), path="tickets")
    tickets = page.get_by_role("table", name="Tickets")
    await expect(tickets.get_by_role("row").filter(has_text="Printer is on fire")).to_contain_text(
        "email"
    )
    await shot(page, "tickets")
    await tickets.get_by_role("link", name="TIC-000001").click()

    await expect(page.get_by_role("heading", name="TIC-000001: Printer is on fire")).to_be_visible()
    comment = page.get_by_role("region", name="Comments").get_by_role("article")
    await expect(comment).to_contain_text("the printer on floor 3 is on fire.")
    outbound = page.get_by_role("region", name="Outbound emails")
    await expect(outbound).to_contain_text(f"To {DEMO_CONTACT_EMAIL}")
    await shot(page, "ticket")
    await (
        page.get_by_role("region", name="Runs of this ticket")
        .get_by_role("link", name=f"run {run_id[:8]}")
        .first.click()
    )
    heading = page.get_by_role("heading", name=f"Run {run_id[:8]}")
    await expect(heading.get_by_text("SUCCEEDED")).to_be_visible()
    await expect(page.get_by_label("Run", exact=True)).to_contain_text("EMAIL_PROCESSED")


REVIEW_FORM = {
    "type": "object",
    "required": ["decision", "hours"],
    "properties": {
        "decision": {"type": "string", "title": "Decision", "enum": ["approve", "reject"]},
        "hours": {"type": "integer", "title": "Hours spent", "minimum": 1},
    },
}
REVIEWED = {
    "name": "Reviewed changes",
    "steps": [
        {"id": "review", "type": "human.task",
         "config": {"taskType": "review", "title": {"$expr": "'Review ' & payload.change"},
                    "formSchema": REVIEW_FORM, "saveAs": "vars.review"}},
        {"id": "done", "type": "state.set", "config": {"state": "REVIEWED"}},
    ],
}  # fmt: skip


async def test_a_task_is_claimed_and_completed_through_its_form_after_one_refusal(
    page_for: PageFor, token_for: TokenFor, base_url: str
) -> None:
    token = await token_for("workflow.manage", subject="mo")
    workflow_id = await publish(base_url, await token_for("workflow.admin"), REVIEWED)
    payload = {"workflowId": workflow_id, "payload": {"change": "CHG-7"}}
    started = await call(base_url, token, "POST", "/workflow-runs", json=payload)
    run_id = started["runId"]
    await run_status(base_url, token, run_id, "WAITING")

    page = await page_for(token, path="tasks")
    tasks = page.get_by_role("table", name="Tasks")
    await page.get_by_role("button", name="Claim Review CHG-7").click()
    await page.get_by_role("tab", name="Claimed").click()
    await expect(tasks.get_by_role("row").filter(has_text="Review CHG-7")).to_contain_text("mo")
    await shot(page, "tasks")
    await page.get_by_role("button", name="Complete Review CHG-7").click()

    dialog = page.get_by_role("dialog", name="Complete: Review CHG-7")
    await dialog.get_by_role("combobox", name=re.compile(r"^Decision")).select_option("approve")
    hours = dialog.get_by_role("spinbutton", name=re.compile(r"^Hours spent"))
    await hours.fill("0")
    await dialog.get_by_role("button", name="Submit").click()
    # the server's 422 pointer (/hours) lands on the field it names
    await expect(hours).to_have_accessible_description(
        re.compile("0 is less than the minimum of 1")
    )
    await expect(dialog.get_by_role("alert")).to_contain_text("/hours")
    await shot(dialog, "task-form")
    await hours.fill("3")
    await dialog.get_by_role("button", name="Submit").click()
    await expect(dialog).to_have_count(0)

    await page.get_by_role("tab", name="Done").click()
    done = tasks.get_by_role("row").filter(has_text="Review CHG-7")
    await expect(done).to_contain_text("COMPLETED")
    await done.get_by_role("link", name="Run of task Review CHG-7").click()
    heading = page.get_by_role("heading", name=f"Run {run_id[:8]}")
    # the completion reaches the run through the outbox, Kafka and the interpreter; the
    # open page follows it live
    await expect(heading.get_by_text("SUCCEEDED")).to_be_visible(timeout=60_000)
    await expect(page.get_by_label("Run", exact=True)).to_contain_text("REVIEWED")
    [task] = (await call(base_url, token, "GET", f"/human-tasks?runId={run_id}"))["items"]
    assert (task["output"], task["claimedBy"]) == ({"decision": "approve", "hours": 3}, "mo")


DOORS = {
    "name": "Door log",
    "trigger": {"type": "event", "eventName": "DOOR_OPENED"},
    "steps": [{"id": "logged", "type": "state.set", "config": {"state": "LOGGED"}}],
}


async def test_a_dead_letter_is_requeued_after_a_confirmation_and_handled(
    page_for: PageFor, token_for: TokenFor, base_url: str, tenant: str, e2e_pool: asyncpg.Pool,
    e2e_topics: Topics, producer: AIOKafkaProducer,
) -> None:  # fmt: skip
    await prepare(e2e_pool)
    admin = await token_for("workflow.admin")
    await publish(base_url, admin, DOORS)
    picky = await publish(base_url, admin, PICKY)  # a failing workflow for the overview
    for boom in (False, True):
        started = await call(base_url, admin, "POST", "/workflow-runs",
                             json={"workflowId": picky, "payload": {"boom": boom}})  # fmt: skip
        await run_status(base_url, admin, started["runId"], "FAILED" if boom else "SUCCEEDED")
    # The event router cannot store this tenant's events for now (a fault the router
    # cannot retry through), so the event is dead-lettered, not lost.
    refusal = f"refuse_{uuid.uuid4().hex[:8]}"
    async with e2e_pool.acquire() as conn:
        await conn.execute(f"""
            CREATE FUNCTION {refusal}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'events table in maintenance'; END $$;
            CREATE TRIGGER {refusal} BEFORE INSERT ON events FOR EACH ROW
            WHEN (NEW.tenant_id = '{tenant}') EXECUTE FUNCTION {refusal}();""")  # fmt: skip
    event = {"tenantId": tenant, "eventName": "DOOR_OPENED", "correlationKey": "door-3",
             "payload": {"door": 3}}  # fmt: skip
    await producer.send_and_wait(e2e_topics.events, json.dumps(event).encode(), key=b"door-3")

    async def lettered() -> list[Any]:
        return list((await call(base_url, admin, "GET", "/dead-letters"))["items"])

    [letter] = await wait_for(lettered, 60, "the dead letter")
    assert "events table in maintenance" in letter["reason"], letter
    async with e2e_pool.acquire() as conn:  # the fault is repaired
        await conn.execute(f"DROP TRIGGER {refusal} ON events; DROP FUNCTION {refusal}();")

    page = await page_for(admin, path="home")
    await expect(page.get_by_role("link", name="1 dead letters not requeued")).to_be_visible()
    failing = page.get_by_role("table", name="Failing workflows").get_by_role("row")
    await expect(failing.filter(has_text="Picky records").get_by_role("cell")).to_have_text(
        ["Picky records", "1", "2"]  # workflow, failed, all runs
    )
    await expect(page.get_by_role("link", name="1 failed")).to_be_visible()
    await shot(page, "home")
    await page.get_by_role("link", name="1 dead letters not requeued").click()
    letters = page.get_by_role("table", name="Dead letters")
    row = letters.get_by_role("row").filter(has_text="events table in maintenance")
    await row.get_by_text("payload", exact=True).click()  # the <summary>
    await expect(row.get_by_role("group", name="Dead letter payload")).to_contain_text("door-3")
    await shot(page, "dead-letters")
    await row.get_by_role("button", name=re.compile(r"^Requeue dead letter from")).click()
    dialog = page.get_by_role("dialog", name="Requeue this message?")
    confirm = dialog.get_by_role("button", name=f"Requeue to {e2e_topics.events}")
    await expect(confirm).to_be_disabled()  # a reason first
    await dialog.get_by_label("Reason (required, audited)").fill("events table is back")
    await confirm.click()
    await expect(dialog).to_have_count(0)
    await expect(row.get_by_role("cell").nth(4)).not_to_have_text("—")  # Requeued: when

    async def handled() -> list[Any]:
        found = await call(base_url, admin, "GET", "/workflow/events?eventName=DOOR_OPENED")
        return [e for e in found["items"] if e["startedRunIds"]]

    [routed] = await wait_for(handled, 60, "the requeued event routed")
    await page.get_by_role("link", name="Events").click()
    events = page.get_by_role("table", name="Events")
    await expect(events.get_by_role("row").filter(has_text="door-3")).to_contain_text("DOOR_OPENED")
    await shot(page, "events")
    run_id = routed["startedRunIds"][0]
    await events.get_by_role("link", name=run_id[:8]).click()
    heading = page.get_by_role("heading", name=f"Run {run_id[:8]}")
    await expect(heading.get_by_text("SUCCEEDED")).to_be_visible()
    await page.get_by_role("link", name="Overview").click()
    await expect(page.get_by_role("link", name="0 dead letters not requeued")).to_be_visible()
