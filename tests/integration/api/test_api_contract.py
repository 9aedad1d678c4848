"""The OpenAPI documents declare every problem a route can answer (issue 17):
walks ``app.openapi()`` of the API and of ingest, so a route added without the
shared route class (``sluice_http.sluice_router``) fails here."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sluice_config import Settings
from sluice_ingest.app import create_app as create_ingest_app

pytestmark = pytest.mark.integration
PROBLEM = {"schema": {"$ref": "#/components/schemas/Problem"}}
METHODS = {"get", "put", "post", "delete", "patch"}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in document["paths"].items()
            for method, op in item.items() if method in METHODS]  # fmt: skip


def missing_problems(document: dict[str, Any]) -> list[str]:
    """What each operation should declare and does not (empty when the document is exact)."""
    gaps = []
    for method, path, op in operations(document):
        responses = op["responses"]
        params = op.get("parameters", [])
        wanted = {"500", "503"}
        wanted |= {"422"} if params or "requestBody" in op else set()
        wanted |= {"404"} if any(p["in"] == "path" for p in params) else set()
        wanted |= {"400"} if any(p["name"] == "cursor" for p in params) else set()
        wanted |= {"413"} if "requestBody" in op else set()
        wanted |= {"401", "429"} if op.get("security") else set()
        wanted |= {"403"} if any(roles for s in op.get("security", []) for roles in s.values()) \
            else set()  # fmt: skip
        gaps += [f"{method} {path}: no {code}" for code in sorted(wanted - responses.keys())]
        for code, response in responses.items():
            if code[0] in "45" and response.get("content") != {"application/problem+json": PROBLEM}:
                gaps.append(f"{method} {path} {code}: not the problem+json schema")
        if path != "/readyz" and "Retry-After" not in responses.get("503", {}).get("headers", {}):
            gaps.append(f"{method} {path} 503: no Retry-After header")
        if "429" in responses and "Retry-After" not in responses["429"].get("headers", {}):
            gaps.append(f"{method} {path} 429: no Retry-After header")
    return gaps


def test_every_api_operation_declares_its_problems(api_app: FastAPI) -> None:
    document = api_app.openapi()
    assert len(operations(document)) > 40
    assert missing_problems(document) == []
    assert document["components"]["schemas"]["Problem"]["required"] == [
        "type", "title", "status", "detail", "code"
    ]  # fmt: skip


def test_every_ingest_operation_declares_its_problems() -> None:
    app = create_ingest_app(Settings(database_url="postgresql://-", kafka_bootstrap_servers="-"))
    document = app.openapi()
    assert {(m, p) for m, p, _ in operations(document)} >= {
        ("post", "/events"),
        ("post", "/emails"),
    }
    assert missing_problems(document) == []


def test_every_secured_api_operation_names_its_role(api_app: FastAPI) -> None:
    roles = {"workflow.view", "workflow.manage", "workflow.publish", "workflow.admin"}
    for method, path, op in operations(api_app.openapi()):
        if path in {"/healthz", "/readyz", "/metrics", "/schemas/workflow-definition.json"}:
            assert "security" not in op, path
            continue
        [requirement] = op["security"]
        assert set(requirement) == {"HTTPBearer"}, (method, path)
        needed = requirement["HTTPBearer"]  # [] only for "any valid token" (GET /auth/me)
        assert needed in ([], *([r] for r in roles)), (method, path, needed)
        assert ("403" in op["responses"]) == bool(needed), (method, path)
