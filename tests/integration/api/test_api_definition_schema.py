"""``GET /schemas/workflow-definition.json``: public, cacheable, the committed document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration
COMMITTED = Path(__file__).parents[3] / "schemas" / "workflow-definition.schema.json"
URL = "/schemas/workflow-definition.json"


async def test_served_without_a_token_cacheable_and_equal_to_the_committed_file(
    client_factory: Any,
) -> None:
    anonymous = client_factory(None)
    response = await anonymous.get(URL)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.json() == json.loads(COMMITTED.read_text())
    etag = response.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    again = await anonymous.get(URL, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    changed = await anonymous.get(URL, headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200


async def test_documented_in_openapi(client_factory: Any) -> None:
    document = (await client_factory(None).get("/openapi.json")).json()
    operation = document["paths"][URL]["get"]
    assert "application/schema+json" in operation["responses"]["200"]["content"]
    assert "304" in operation["responses"]
    assert "security" not in operation
