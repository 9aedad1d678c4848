"""Registry discovery and the OpenAPI document."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.integration

# SPEC 13's table, help-desk resources and the UI excepted: (method, path).
SPEC_ROUTES = {
    ("get", "/workflow-definitions"), ("post", "/workflow-definitions"),
    ("get", "/workflow-definitions/{id}/{version}"),
    ("put", "/workflow-definitions/{id}/{version}"),
    ("post", "/workflow-definitions/{id}/{version}/publish"),
    ("get", "/workflow-runs"), ("post", "/workflow-runs"), ("get", "/workflow-runs/summary"),
    ("get", "/workflow-runs/{runId}"),
    *(("get", f"/workflow-runs/{{runId}}/{h}") for h in
      ("steps", "timeline", "snapshots", "invocations", "waits", "logs", "events")),
    *(("post", f"/workflow-runs/{{runId}}/{c}") for c in ("cancel", "resume", "retry", "replay")),
    *(("get", f"/workflow/registry/{r}")
      for r in ("nodes", "actions", "schemas/{ref}", "functions")),
    ("get", "/workflow/events"), ("post", "/workflow/events"),
    ("get", "/human-tasks"),
    *(("post", f"/human-tasks/{{id}}/{a}") for a in ("claim", "complete", "cancel")),
    ("get", "/dead-letters"), ("post", "/dead-letters/{id}/requeue"),
    ("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics"),
}  # fmt: skip


async def test_openapi_has_every_spec_route_documented(admin: httpx.AsyncClient) -> None:
    spec = (await admin.get("/openapi.json")).json()
    offered = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert offered >= SPEC_ROUTES, SPEC_ROUTES - offered
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            assert op.get("summary"), (method, path)
            assert op.get("tags"), (method, path)
            ok = [c for c in op["responses"] if c.startswith("2")]
            assert ok, (method, path)
            if ok[0] == "204":  # no content
                assert "content" not in op["responses"]["204"], (method, path)
                continue
            content = op["responses"][ok[0]]["content"]
            if path == "/workflow-runs/updates":  # server-sent events
                assert list(content) == ["text/event-stream"], path
            elif path == "/metrics" or path.endswith(("/content", "/export", "/download")):  # text
                assert "application/json" not in content, path
            elif path == "/schemas/workflow-definition.json":  # a JSON Schema document
                assert list(content) == ["application/schema+json"], path
            else:
                assert content["application/json"]["schema"], path
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_openapi_protected_routes_name_the_bearer_scheme(admin: httpx.AsyncClient) -> None:
    spec = (await admin.get("/openapi.json")).json()
    runs = spec["paths"]["/workflow-runs"]["get"]
    assert runs["security"] == [{"HTTPBearer": ["workflow.view"]}]  # the role it needs
    cancel = spec["paths"]["/workflow-runs/{runId}/cancel"]["post"]
    assert cancel["security"] == [{"HTTPBearer": ["workflow.admin"]}]
    assert "security" not in spec["paths"]["/healthz"]["get"]


async def test_registry_lists_node_types_with_schemas_and_ui(admin: httpx.AsyncClient) -> None:
    items = (await admin.get("/workflow/registry/nodes")).json()["items"]
    by_type = {n["type"]: n for n in items}
    assert {"state.set", "action.call", "event.wait", "human.task"} <= by_type.keys()
    assert by_type["state.set"]["configSchema"]["type"] == "object"
    assert by_type["state.set"]["ui"]["label"]


async def test_registry_serves_schemas_by_ref_and_404s_unknown(admin: httpx.AsyncClient) -> None:
    ref = "payload.EmailWorkflowPayload.v1"
    found = await admin.get(f"/workflow/registry/schemas/{ref}")
    assert found.status_code == 200
    assert found.json()["ref"] == ref
    assert "emailData" in found.json()["jsonSchema"]["properties"]
    assert (await admin.get("/workflow/registry/schemas/payload.Nope.v1")).status_code == 404


async def test_registry_publishes_the_expression_allowlist(admin: httpx.AsyncClient) -> None:
    items = (await admin.get("/workflow/registry/functions")).json()["items"]
    names = {f["name"]: f for f in items}
    assert names["nowIso"]["kind"] == "helper"
    assert names["nowIso"]["callAs"] == ["nowIso()", "$nowIso()"]
    assert names["uppercase"]["kind"] == "builtin"
    assert not {"eval", "now", "millis", "random"} & names.keys()
    actions = (await admin.get("/workflow/registry/actions")).json()
    assert isinstance(actions["items"], list)


def test_spec_routes_use_spec_placeholders() -> None:
    placeholders = {m for _, p in SPEC_ROUTES for m in re.findall(r"{(\w+)}", p)}
    assert placeholders == {"id", "version", "runId", "ref"}
