"""The built UI at /ui/: redirects, SPA fallback, caching by file kind, CSP, no escapes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sluice_api.app import create_app
from sluice_api.web_ui import CONTENT_SECURITY_POLICY
from sluice_config import Settings


def _client(ui_dir: Path) -> httpx.AsyncClient:
    app = create_app(Settings(database_url="-", kafka_bootstrap_servers="-", ui_dir=ui_dir))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Sluice</title>")
    (tmp_path / "assets" / "index-3f2a9c.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("not for the web")
    return tmp_path


async def test_root_and_bare_ui_redirect_to_the_ui(built: Path) -> None:
    async with _client(built) as client:
        for path in ("/", "/ui"):
            answer = await client.get(path)
            assert answer.status_code == 307
            assert answer.headers["location"] == "/ui/"


async def test_index_is_revalidated_and_carries_the_csp(built: Path) -> None:
    async with _client(built) as client:
        answer = await client.get("/ui/")
    assert answer.status_code == 200
    assert "<title>Sluice</title>" in answer.text
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY  # no inline script, no eval
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_hashed_assets_are_immutable(built: Path) -> None:
    async with _client(built) as client:
        answer = await client.get("/ui/assets/index-3f2a9c.js")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in answer.headers["content-type"]


async def test_unhashed_files_are_revalidated(built: Path) -> None:
    async with _client(built) as client:
        answer = await client.get("/ui/favicon.svg")
    assert answer.headers["cache-control"] == "no-cache"


async def test_client_routes_get_the_index(built: Path) -> None:
    async with _client(built) as client:
        answer = await client.get("/ui/workflows/1234/edit")
    assert answer.status_code == 200
    assert "<title>Sluice</title>" in answer.text


async def test_a_missing_asset_is_404_not_the_index(built: Path) -> None:
    async with _client(built) as client:
        answer = await client.get("/ui/assets/index-000000.js")
    assert answer.status_code == 404


async def test_paths_cannot_leave_the_build(built: Path) -> None:
    async with _client(built) as client:
        answer = await client.get("/ui/..%2Fsecret.txt")
        encoded = await client.get("/ui/%2e%2e/secret.txt")
    for response in (answer, encoded):
        assert "not for the web" not in response.text


async def test_an_unbuilt_ui_says_how_to_build_it(tmp_path: Path) -> None:
    async with _client(tmp_path / "nothing") as client:
        answer = await client.get("/ui/")
    assert answer.status_code == 503
    assert "make setup" in answer.text
