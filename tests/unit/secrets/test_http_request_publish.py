"""Publish-time checks of http.request's args (the declared input schema, Expr-tolerant):
located INVALID_CONFIG errors, and the output schema typing what later steps read."""

from __future__ import annotations

from typing import Any

import pytest
from sluice_engine import ActionHandlers, load_plugins
from workflow_core.registry import Registry, create_registry
from workflow_core.validation import validate_definition


def builtins() -> Registry:
    registry = create_registry()
    load_plugins("", registry, ActionHandlers())
    return registry.freeze()


REGISTRY = builtins()


def definition(args: dict[str, Any], *after: dict[str, Any]) -> dict[str, Any]:
    call = {"id": "call", "type": "action.call", "config": {
        "actionId": "http.request", "version": 1, "saveAs": "vars.res", "args": args}}  # fmt: skip
    return {"name": "http", "steps": [call, *after]}


def messages(document: dict[str, Any]) -> list[str]:
    report = validate_definition(document, registry=REGISTRY)
    return [f"{e.code.value} {e.step_path} {e.message}" for e in report.errors]


def test_a_valid_call_with_exprs_and_secret_refs_publishes_cleanly() -> None:
    args = {"method": "POST", "url": {"$expr": "payload.url"},
            "headers": {"Authorization": {"secretRef": "env:TOKEN", "prefix": "Bearer "},
                        "X-Run": {"$expr": "payload.id"}},
            "json": {"key": {"secretRef": "crm"}, "n": {"$expr": "payload.n"}},
            "query": {"page": 1, "tags": ["a", "b"]}, "timeoutMs": 5000}  # fmt: skip
    reads = {"id": "use", "type": "transform.assign",
             "config": {"assign": {"vars.status": {"$expr": "vars.res.status"}}}}  # fmt: skip
    assert messages(definition(args, reads)) == []


@pytest.mark.parametrize(
    ("args", "fragment"),
    [({"url": "ftp://files.example.com/x"}, "config/args/url"),
     ({"url": "https://a.example", "method": "FETCH"}, "config/args/method"),
     ({"url": "https://a.example", "headers": {"X-K": {"secretRef": "vault:k"}}},
      "config/args/headers/X-K"),
     ({"url": "https://a.example", "headers": {"X-K": {"secretRef": "k", "value": "v"}}},
      "config/args/headers/X-K"),
     ({"url": "https://a.example", "query": {"k": {"secretRef": "env:K"}}},
      "config/args/query/k"),
     ({"url": "https://a.example", "json": {}, "form": {}}, "config/args"),
     ({"url": "https://a.example", "timeoutMs": 60000}, "config/args/timeoutMs"),
     ({"url": "https://a.example", "bodyy": {}}, "unknown field 'bodyy'")],
)  # fmt: skip
def test_bad_args_are_located_publish_errors(args: dict[str, Any], fragment: str) -> None:
    found = messages(definition(args))
    assert found, "expected a publish error"
    assert all(m.startswith("INVALID_CONFIG root.steps[0]") for m in found), found
    assert any(fragment in m for m in found), found


def test_reading_a_field_the_output_cannot_have_is_flagged() -> None:
    reads = {"id": "use", "type": "transform.assign",
             "config": {"assign": {"vars.x": {"$expr": "vars.res.statusCode"}}}}  # fmt: skip
    found = messages(definition({"url": "https://a.example"}, reads))
    assert any("UNKNOWN_FIELD" in m and "statusCode" in m for m in found), found
