"""Bulk operations and exports in a real browser (issue 19): every failed run of the
list's filter retried from the runs list (after the dry run's count), watched to
COMPLETED on the operation's page; then the same runs exported and downloaded as
JSON Lines from the Operations page."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest
from e2e_support.helpers import prepare
from playwright.async_api import expect
from test_console_journeys import PICKY, PageFor, TokenFor, call, publish, run_status, shot

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


async def test_failed_runs_retried_in_bulk_by_filter_then_exported_and_downloaded(
    page_for: PageFor, token_for: TokenFor, base_url: str, e2e_pool: asyncpg.Pool
) -> None:
    await prepare(e2e_pool)  # test.record's table
    token = await token_for("workflow.admin")
    workflow_id = await publish(base_url, token, PICKY)
    bad = []
    for _ in range(2):
        body = {"workflowId": workflow_id, "payload": {"boom": True}}
        bad.append(await call(base_url, token, "POST", "/workflow-runs", json=body))
    for run in bad:
        await run_status(base_url, token, run["runId"], "FAILED")

    page = await page_for(token, path="runs")
    await page.get_by_role("button", name="Failed only").click()
    every = page.get_by_role("region", name="Every matching run")
    await every.get_by_role("button", name="Retry all matching…").click()
    dialog = page.get_by_role("dialog")
    counted = dialog.get_by_role("status", name="What it would touch")
    await expect(counted).to_contain_text("FAILED: 2")
    await dialog.get_by_label("Reason (required)").fill("the recorder is fixed")
    await dialog.get_by_role("button", name="Retry 2 runs").click()

    await expect(page.get_by_role("heading", name="Bulk retry")).to_be_visible()
    await expect(page.get_by_text("2 of 2 done")).to_be_visible(timeout=30_000)
    await expect(page.get_by_text("COMPLETED", exact=True)).to_be_visible()
    outcomes = page.get_by_role("table", name="Outcomes")
    for run in bad:
        await expect(outcomes.get_by_role("link", name=run["runId"][:8])).to_be_visible()
    await shot(page, "bulk-operation")
    for run in bad:  # retried unedited: each fails again (the interpreter runs it)
        await run_status(base_url, token, run["runId"], "FAILED")

    await page.get_by_role("link", name="Runs").click()
    await page.get_by_role("button", name="Failed only").click()
    await page.get_by_role("button", name="Export all matching").click()
    await expect(page.get_by_role("heading", name="Operations", exact=True)).to_be_visible()
    exports = page.get_by_role("table", name="Exports")
    await expect(exports.get_by_text("COMPLETED", exact=True)).to_be_visible(timeout=30_000)
    await shot(page, "operations")
    async with page.expect_download() as downloading:
        await exports.get_by_role("button", name="Download export").first.click()
    download = await downloading.value
    text = Path(await download.path()).read_text()  # noqa: ASYNC240 - a small local file
    lines = [json.loads(line) for line in text.splitlines()]
    assert sorted(line["run"]["runId"] for line in lines) == sorted(r["runId"] for r in bad)
    assert all(line["steps"] for line in lines)
