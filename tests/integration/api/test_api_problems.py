"""Every error is application/problem+json with the same shape; health and metrics."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sluice_api.app import create_app
from sluice_config import Settings

pytestmark = pytest.mark.integration
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    return body


async def test_unknown_path_is_a_404_problem(admin: httpx.AsyncClient) -> None:
    assert_problem(await admin.get("/no/such/path"), 404, "NOT_FOUND")


async def test_wrong_method_is_a_405_problem(admin: httpx.AsyncClient) -> None:
    assert_problem(await admin.delete("/workflow-definitions"), 405, "METHOD_NOT_ALLOWED")


async def test_405_allow_lists_the_literal_path_not_a_template_it_also_fits(
    admin: httpx.AsyncClient,
) -> None:
    """``/workflow-runs/bulk`` is a path of its own (POST), not ``/workflow-runs/{runId}``
    (GET): a client told "Allow: GET" there would get a 422 (found by schemathesis)."""
    response = await admin.options("/workflow-runs/bulk")
    assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"
    # ... and routing agrees: GET there is a 405 too, not "runId is not a uuid" (schemathesis)
    for method, path, allow in [
        ("GET", "/workflow-runs/bulk", "POST"),
        ("PUT", f"/workflow-definitions/{uuid.uuid4()}/pause", "POST"),
    ]:
        refused = await admin.request(method, path, json={"reason": "r"})
        assert_problem(refused, 405, "METHOD_NOT_ALLOWED")
        assert refused.headers["allow"] == allow


async def test_invalid_request_is_a_422_problem_with_pointers(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/workflow/events", json={"correlationKey": True, "payload": 3})
    body = assert_problem(response, 422, "VALIDATION_FAILED")
    pointers = {e["pointer"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert {"/eventName", "/correlationKey", "/payload"} <= pointers
    bad_limit = await admin.get("/workflow-runs", params={"limit": 0})
    assert {e["pointer"] for e in bad_limit.json()["errors"]} == {"/query/limit"}


async def test_bad_cursor_is_a_400_problem(admin: httpx.AsyncClient) -> None:
    assert_problem(await admin.get("/workflow-runs?cursor=garbage"), 400, "INVALID_CURSOR")


async def test_unexpected_error_is_a_500_problem_without_internals(
    migrated_database_url: str,
) -> None:
    app = create_app(Settings(database_url=migrated_database_url))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        body = assert_problem(await client.get("/boom"), 500, "INTERNAL_ERROR")
    assert "secret" not in str(body["detail"])


async def test_health_readiness_and_metrics_answer(client_factory: object) -> None:
    client = client_factory(None)  # type: ignore[operator]
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "sluice_api_requests_total" in metrics.text


async def test_readiness_without_the_pool_is_a_503_problem(migrated_database_url: str) -> None:
    app = create_app(Settings(database_url=migrated_database_url))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        assert_problem(await client.get("/readyz"), 503, "NOT_READY")
