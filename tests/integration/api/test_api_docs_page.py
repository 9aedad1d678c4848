"""``/docs`` works where the API works (issue 17): Swagger UI's files come from the
installed package, not a CDN, under the API's Content-Security-Policy; checked in a
real browser (Debian's Chromium through Playwright) with every request that leaves
the API's origin blocked, as on a machine without internet access."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sluice_api.web_ui import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.integration
CHROMIUM = os.environ.get("WF_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


async def test_docs_page_and_its_assets_come_from_the_api_under_its_csp(
    admin: httpx.AsyncClient,
) -> None:
    page = await admin.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from elsewhere
    for asset, media in [("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css"),
                         ("docs.js", "javascript")]:  # fmt: skip
        answer = await admin.get(f"/docs/{asset}")
        assert answer.status_code == 200, asset
        assert media in answer.headers["content-type"]
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert (await admin.get("/docs/../app.py")).status_code == 404
    assert (await admin.get("/redoc")).status_code == 404  # FastAPI's CDN page is off


@pytest.fixture
def served_api(api_app: FastAPI) -> Iterator[str]:
    """The test's app over real HTTP (a browser cannot use the ASGI transport)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api_app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.mark.timeout(180)
async def test_docs_page_renders_every_operation_in_chromium_offline(served_api: str) -> None:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.async_api import Route, async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page()
            outside: list[str] = []
            errors: list[str] = []

            async def only_the_api(route: Route) -> None:
                if route.request.url.startswith(served_api):
                    await route.continue_()
                else:
                    outside.append(route.request.url)
                    await route.abort()

            await page.route("**/*", only_the_api)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            await page.goto(served_api + "/docs")
            await page.wait_for_selector(".opblock", timeout=60_000)
            operations = await page.locator(".opblock").count()
            title = await page.locator(".info .title").inner_text()
        finally:
            await browser.close()
    async with httpx.AsyncClient(base_url=served_api, timeout=30) as client:
        document = (await client.get("/openapi.json")).json()
    declared = sum(len(item) for item in document["paths"].values())
    assert "Sluice API" in title
    assert operations == declared  # every operation rendered
    assert outside == []  # nothing asked of another origin
    assert [e for e in errors if "Content Security Policy" in e] == []
