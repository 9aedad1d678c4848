"""The operations console in a real browser (issue 13), one test per operator journey,
against the real stack: API (serving ui/dist), interpreter and scheduler as
subprocesses, Chromium through Playwright. Elements are found by role and accessible
name; screenshots of each page go to docs/screenshots/console-*.png."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from e2e_support.helpers import prepare
from e2e_support.services import wait_for
from playwright.async_api import Page, expect

PageFor = Callable[..., Awaitable[Page]]
TokenFor = Callable[..., Awaitable[str]]

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)


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
