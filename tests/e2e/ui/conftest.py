"""Browser journeys through the web UI against the real stack: the API (serving
``ui/dist``), interpreter and scheduler as subprocesses on the session's Kafka and
PostgreSQL, driven by Playwright in Debian's Chromium (never ``playwright install``).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from e2e_support.mail import SmtpSink, smtp_port, start_email_services
from e2e_support.services import Services
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect
from sluice_storage import TokenRepository, transaction

CHROMIUM = os.environ.get("WF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UI_DIST = Path(__file__).resolve().parents[3] / "ui" / "dist" / "index.html"

# Generous waits (not sleeps: each returns as soon as the page is ready), sized for a
# shared 2-core machine where a cold page load can take seconds.
ACTION_TIMEOUT_MS = 30_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)

TokenFor = Callable[..., Awaitable[str]]
PageFor = Callable[..., Awaitable[Page]]


@pytest.fixture(scope="module")
async def ui_stack(services_factory: Services, sink: SmtpSink) -> AsyncIterator[Services]:
    assert UI_DIST.is_file(), f"{UI_DIST} is missing: build the UI first (make setup, or make ui)"
    names = ("api", "interpreter", "scheduler")  # ingest: smtp_intake, when a journey mails in
    await start_email_services(services_factory, sink.port, names)
    yield services_factory
    services_factory.stop_all()


@pytest.fixture(scope="module")
async def smtp_intake(ui_stack: Services) -> int:
    """The SMTP port of ingest, started for the module's first journey that mails in."""
    await ui_stack.start("ingest")
    return smtp_port(ui_stack)


@pytest.fixture(scope="module")
def base_url(ui_stack: Services) -> str:
    return f"http://127.0.0.1:{ui_stack.ports['api']}"


@pytest.fixture(scope="module")
def chromium() -> str:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    return CHROMIUM


@pytest.fixture(scope="module")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
def tenant() -> str:
    return f"ui-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def token_for(e2e_pool: asyncpg.Pool, tenant: str) -> TokenFor:
    """Bearer tokens exactly as ``sluice tokens create`` issues them."""

    async def issue(role: str = "workflow.admin", subject: str = "ada") -> str:
        async with transaction(e2e_pool) as conn:
            issued = await TokenRepository(conn, tenant).create(
                subject=subject, role=role, now=dt.datetime.now(dt.UTC)
            )
        return issued.token

    return issue


@pytest.fixture
async def page_for(browser: Browser, base_url: str) -> AsyncIterator[PageFor]:
    """A signed-in page (the token arrives as a ``#token=`` link, as ``sluice dev``
    prints it). Uncaught page errors fail the test."""
    contexts = []
    errors: list[str] = []

    async def open_page(
        token: str, *, width: int = 1280, height: int = 800, path: str = ""
    ) -> Page:
        context = await browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        page.set_default_navigation_timeout(2 * ACTION_TIMEOUT_MS)
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

        def console(message: ConsoleMessage) -> None:
            # A refused request logs "Failed to load resource" (the UI shows its problem).
            text = message.text
            expected = "Failed to load resource" in text
            if message.type == "error" and not expected:
                errors.append(f"console: {text}")

        page.on("console", console)
        await page.goto(f"{base_url}/ui/{path}#token={token}")
        return page

    yield open_page
    for context in contexts:
        await context.close()
    assert not errors, "the page logged errors:\n" + "\n".join(errors)
