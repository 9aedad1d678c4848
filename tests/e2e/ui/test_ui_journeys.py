"""The designer in a real browser, one test per user journey (SPEC 1: help-desk admins
build workflows without typing JSON). Elements are found by role and accessible name.
Screenshots go to docs/screenshots/ (shown in the README)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from e2e_support.mail import seed
from playwright.async_api import Locator, Page, expect

PageFor = Callable[..., Awaitable[Page]]
TokenFor = Callable[..., Awaitable[str]]

# A journey is tens of browser actions against real services; the first one also waits
# for the module's services to start.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO / "docs" / "screenshots"
REFERENCE = REPO / "libs/helpdesk/src/sluice_helpdesk/workflows/inbound_email.json"
REFERENCE_ID = json.loads(REFERENCE.read_text())["id"]


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


async def api(base_url: str, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        return await client.request(method, path, headers=headers, **kw)


async def add_step(page: Page, where: str, item: str, search: str | None = None) -> None:
    """Open the palette for a pipe ("the workflow", "then of check"...) and add an item."""
    await page.get_by_role("button", name=f"Add a step to {where}").click()
    if search:
        await page.get_by_role("searchbox", name="Search steps and actions").fill(search)
    await page.get_by_role("button", name=f"Add {item}", exact=True).click()


def textbox(scope: Page | Locator, label: str) -> Locator:
    """A text field by its label (rjsf marks required ones with a trailing *)."""
    return scope.get_by_role("textbox", name=re.compile(rf"^{re.escape(label)}\s*\*?$"))


async def saved(page: Page) -> None:
    await expect(page.get_by_role("status").filter(has_text="All changes saved")).to_be_visible()


async def test_sign_in_by_link_and_by_pasting_a_token(
    page_for: PageFor, token_for: TokenFor
) -> None:
    token = await token_for("workflow.admin", subject="ada")
    page = await page_for(token)
    await expect(page.get_by_role("heading", name="Workflows")).to_be_visible()
    assert "token" not in page.url, "the sign-in link's token must leave the address bar"
    assert await page.evaluate("sessionStorage.getItem('sluice.token')") == token
    await expect(page.get_by_text("workflow.admin")).to_be_visible()

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('sluice.token')") is None
    await page.get_by_label("API token").fill("slc_not-a-real-token")
    await page.get_by_role("button", name="Sign in").click()
    # a refused token comes back to sign-in with the server's detail
    await expect(page.get_by_role("alert")).to_contain_text("unknown, expired or revoked")
    await shot(page, "sign-in")
    await page.get_by_label("API token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Workflows")).to_be_visible()


async def test_build_publish_run_and_diff_without_typing_json(
    page_for: PageFor, token_for: TokenFor, base_url: str, e2e_pool: asyncpg.Pool, tenant: str
) -> None:
    await seed(e2e_pool, tenant=tenant)  # a contact to look up
    page = await page_for(await token_for("workflow.admin"))
    await expect(page.get_by_role("link", name="Inbound Email Processing")).to_be_visible()
    await shot(page, "definitions")

    # a new workflow, from an empty canvas
    await page.get_by_role("button", name="New workflow").click()
    dialog = page.get_by_role("dialog", name="New workflow")
    await dialog.get_by_label("Name", exact=True).fill("Contact check")
    await dialog.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("heading", name="Contact check")).to_be_visible()
    await expect(page.get_by_text("Empty: add a step or drop one here.")).to_be_visible()

    # an action call, its argument an expression
    await add_step(page, "the workflow", "Find contact by email", search="contact")
    await page.get_by_role("textbox", name="email", exact=True).fill("payload.email")
    await textbox(page, "Save As").fill("vars.contact")

    # an if with a step in each branch; its condition first typed wrong
    await page.get_by_role("button", name="Add If / else", exact=True).click()
    condition = page.get_by_role("textbox", name="Condition")
    await condition.fill("vars.contact.found = ")
    await expect(page.get_by_text("Unexpected end of expression")).to_be_visible()
    await expect(page.get_by_text("S0207")).to_be_visible()
    await shot(page, "expression-error")
    await condition.fill("vars.contact.found = true")
    await expect(page.get_by_text("Unexpected end of expression")).to_have_count(0)
    await add_step(page, "then of check", "Set state")
    await textbox(page, "State").fill("KNOWN_CONTACT")
    await add_step(page, "else of check", "Set state")  # left empty: publishing must refuse it

    # a forEach with a step in its body
    await add_step(page, "the workflow", "For each")
    await page.get_by_role("textbox", name="Items").fill("payload.items")
    await add_step(page, "body of each", "Assign")
    await page.get_by_role("button", name="Add entry").click()
    value = page.get_by_role("textbox", name=re.compile("^Value of "))
    # the field picker offers what the server's type analysis says this step can read
    await page.get_by_role("button", name="Insert field").click()
    picker = page.get_by_role("group", name=re.compile("^Fields for Value of "))
    await expect(picker).to_contain_text("by the server's type analysis")
    await expect(picker.get_by_role("button", name=re.compile(r"^contact\b"))).to_be_visible()
    await picker.get_by_role("button", name=re.compile(r"^item\b")).click()
    await expect(value).to_have_text("vars.item")
    await value.fill("vars.item * 2")
    await saved(page)
    await shot(page, "designer-new")

    # publish: refused, the error located on the empty step
    await page.get_by_role("button", name="Publish").click()
    report = page.get_by_role("region", name="Publish report")
    await expect(report).to_contain_text("Publishing refused: 1 error")
    await expect(page.get_by_role("group", name="Step set_state_2")).to_contain_text("1 error")
    await shot(page, "publish-refused")
    await report.get_by_role("button", name=re.compile("set_state_2")).click()
    settings = page.get_by_role("region", name="Settings of set_state_2")
    await expect(settings).to_contain_text("INVALID_CONFIG")
    await textbox(settings, "State").fill("NEW_CONTACT")
    await saved(page)
    await page.get_by_role("button", name="Publish").click()
    await expect(report).to_contain_text("Published as version 1")

    # start a run from the UI and watch it succeed
    await page.get_by_role("button", name="Start run").click()
    dialog = page.get_by_role("dialog", name="Start a run")
    payload = {"email": "customer@example.com", "items": [1, 2, 3]}
    await dialog.get_by_label("Payload (JSON)").fill(json.dumps(payload))
    await dialog.get_by_role("button", name="Start run").click()
    await expect(dialog.get_by_role("status")).to_contain_text("SUCCEEDED", timeout=45_000)
    await expect(dialog.get_by_role("status")).to_contain_text("KNOWN_CONTACT")
    await shot(page, "run-succeeded")
    await dialog.get_by_role("button", name="Close").first.click()

    # a second version, then the diff by step
    await page.get_by_role("button", name="Select set_state", exact=True).click()
    await textbox(page, "State").fill("KNOWN")
    await saved(page)
    await page.get_by_role("button", name="Publish").click()
    await expect(report).to_contain_text("Published as version 2")
    await page.get_by_role("tab", name="Versions").click()
    await page.get_by_label("Compare from").select_option("1")
    await page.get_by_label("Compare to").select_option("2")
    diff = page.get_by_role("region", name="Changes from Version 1 to Version 2")
    await expect(diff).to_contain_text("1 step change")
    await expect(diff).to_contain_text("set_state")
    await expect(diff).to_contain_text('"KNOWN_CONTACT"')
    await expect(diff).to_contain_text('"KNOWN"')
    await expect(page.get_by_role("region", name="Published versions")).to_contain_text("ada")
    await shot(page, "version-diff")

    # what was published is what the canvas showed
    listed = (await api(base_url, await token_for(), "GET", "/workflow-definitions")).json()
    wid = next(d["id"] for d in listed["items"] if d["name"] == "Contact check")
    v2 = (await api(base_url, await token_for(), "GET", f"/workflow-definitions/{wid}/2")).json()
    steps = v2["definition"]["steps"]
    assert [s["type"] for s in steps] == ["action.call", "control.if", "control.forEach"]
    assert steps[0]["config"]["args"] == {"email": {"$expr": "payload.email"}}
    assert steps[1]["condition"] == {"$expr": "vars.contact.found = true"}
    assert steps[1]["else"][0]["config"] == {"state": "NEW_CONTACT"}
    assert steps[2]["body"][0]["config"]["assign"] == {"vars.value1": {"$expr": "vars.item * 2"}}


async def test_reference_workflow_renders_and_publishes_unchanged_through_json(
    page_for: PageFor, token_for: TokenFor, base_url: str, e2e_pool: asyncpg.Pool, tenant: str
) -> None:
    await seed(e2e_pool, tenant=tenant)
    reference = json.loads(REFERENCE.read_text())
    token = await token_for("workflow.admin")
    page = await page_for(token, path=f"definitions/{REFERENCE_ID}")
    await expect(page.get_by_role("heading", name="Inbound Email Processing")).to_be_visible()

    def ids(steps: list[dict[str, Any]]) -> list[str]:
        out = []
        for step in steps:
            out.append(step["id"])
            for branch in ("then", "else", "try", "catch", "body"):
                out.extend(ids(step.get(branch, [])))
        return out

    every = ids(reference["steps"])
    await expect(page.get_by_role("group", name=re.compile(r"^Step "))).to_have_count(len(every))
    for step_id in every:
        await expect(page.get_by_role("group", name=f"Step {step_id}", exact=True)).to_be_visible()
    await shot(page, "designer-reference")
    await page.get_by_role("button", name="Select create_ticket").click()
    await expect(page.get_by_role("region", name="Settings of create_ticket")).to_be_visible()
    await shot(page, "config-panel")

    # the JSON tab shows the document and takes it back: re-indented text, same document
    await page.get_by_role("tab", name="JSON").click()
    editor = page.get_by_role("textbox", name="Workflow JSON")
    assert json.loads(await editor.input_value()) == reference
    await editor.fill(json.dumps(reference, indent=4))
    await page.get_by_role("button", name="Apply JSON").click()
    await page.get_by_role("tab", name="Design").click()
    await page.get_by_role("button", name="Publish").click()
    await expect(page.get_by_role("region", name="Publish report")).to_contain_text(
        "Published as version 2"
    )
    v1 = (await api(base_url, token, "GET", f"/workflow-definitions/{REFERENCE_ID}/1")).json()
    v2 = (await api(base_url, token, "GET", f"/workflow-definitions/{REFERENCE_ID}/2")).json()
    assert v2["definition"] == v1["definition"] == reference


async def test_a_draft_changed_elsewhere_is_not_overwritten(
    page_for: PageFor, token_for: TokenFor, base_url: str, e2e_pool: asyncpg.Pool, tenant: str
) -> None:
    token = await token_for("workflow.manage")
    created = await api(
        base_url, token, "POST", "/workflow-definitions", json={"name": "Shared", "steps": []}
    )
    wid = created.json()["id"]
    page = await page_for(token, path=f"definitions/{wid}")
    await expect(page.get_by_role("heading", name="Shared")).to_be_visible()
    await page.get_by_label("Workflow name").fill("Shared (mine)")
    await saved(page)

    other = await api(base_url, token, "PUT", f"/workflow-definitions/{wid}/draft",
                      json={"name": "Shared (theirs)", "steps": []})  # fmt: skip
    assert other.status_code == 200
    await page.get_by_label("Description").fill("my edit")
    conflict = page.get_by_role("alert").filter(has_text="This draft was changed elsewhere")
    await expect(conflict).to_be_visible()
    await expect(page.get_by_text("Not saved: conflict")).to_be_visible()
    stored = (await api(base_url, token, "GET", f"/workflow-definitions/{wid}/draft")).json()
    assert stored["name"] == "Shared (theirs)", "the other edit must survive"
    await conflict.get_by_role("button", name="Load their version (discard mine)").click()
    await expect(page.get_by_label("Workflow name")).to_have_value("Shared (theirs)")


async def test_a_viewer_sees_no_publish_button_and_cannot_edit(
    page_for: PageFor, token_for: TokenFor, e2e_pool: asyncpg.Pool, tenant: str
) -> None:
    await seed(e2e_pool, tenant=tenant)
    page = await page_for(
        await token_for("workflow.view", subject="viewer"), path=f"definitions/{REFERENCE_ID}"
    )
    await expect(page.get_by_role("heading", name="Inbound Email Processing")).to_be_visible()
    await expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    await expect(page.get_by_text("Publishing needs the workflow.publish role")).to_be_visible()
    await expect(page.get_by_role("button", name="Add a step to the workflow")).to_have_count(0)
    await expect(page.get_by_role("button", name="Delete main")).to_have_count(0)
    await page.get_by_role("link", name="← Workflows").click()
    await expect(page.get_by_role("button", name="New workflow")).to_be_disabled()


async def test_narrow_window(
    page_for: PageFor, token_for: TokenFor, e2e_pool: asyncpg.Pool, tenant: str
) -> None:
    await seed(e2e_pool, tenant=tenant)
    page = await page_for(
        await token_for(), width=700, height=900, path=f"definitions/{REFERENCE_ID}"
    )
    await expect(page.get_by_role("group", name="Step main", exact=True)).to_be_visible()
    # the palette is a drawer here
    await page.get_by_role("button", name="Show steps to add").click()
    await expect(page.get_by_role("searchbox", name="Search steps and actions")).to_be_visible()
    await page.get_by_role("button", name="Hide steps").click()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 700, f"the page scrolls sideways ({width} px)"
    await shot(page, "designer-narrow")
