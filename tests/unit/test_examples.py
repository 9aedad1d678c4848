"""Every workflow in examples/ publishes cleanly and runs to its end in the core."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from golden.golden_driver import Driver, complete, event_for, scripted, start_command
from sluice_engine import ActionHandlers, load_plugins
from workflow_core.definitions import Definition
from workflow_core.interpreter import RunStatus
from workflow_core.registry import Registry, create_registry
from workflow_core.validation import validate_definition

EXAMPLES = Path(__file__).parents[2] / "examples"
REGISTRY = create_registry().freeze()


def _with_builtin_plugins() -> Registry:
    registry = create_registry()
    load_plugins("", registry, ActionHandlers())  # http.request: the built-in plugin "http"
    return registry.freeze()


BUILTINS = _with_builtin_plugins()
TICK = {"scheduledAt": "2026-01-05T07:00:00Z", "scheduledAtLocal": "2026-01-05T08:00:00+01:00",
        "timezone": "Europe/Berlin", "cron": "0 8 * * MON-FRI", "late": False}  # fmt: skip
# (file, start payload, final meta.state)
RUNS: list[tuple[str, dict[str, Any], str]] = [
    ("schedule_morning_digest.json", TICK, "DIGEST_READY"),
    ("webhook_monitoring_alert.json", {"alert": "disk full", "severity": "high"}, "ACKNOWLEDGED"),
    ("webhook_monitoring_alert.json", {"alert": "cpu", "severity": "low"}, "NOTED"),
    ("event_follow_up.json", {"ticketId": "T-1"}, "FOLLOW_UP_DUE"),
    ("event_follow_up.json", {"followUpAt": "2025-01-02T09:00:00Z"}, "FOLLOW_UP_DUE"),
]

# Examples calling a built-in plugin's action; they run for real, against a local server,
# in tests/e2e/test_secrets_canary.py.
HTTP_EXAMPLE = "http_chat_notification.json"
TICKET = {"ticketNumber": "TIC-000042", "title": "Printer on fire"}


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return document


def test_every_example_is_covered_here() -> None:
    assert {p.name for p in EXAMPLES.glob("*.json")} == {name for name, _, _ in RUNS} | {
        HTTP_EXAMPLE
    }


@pytest.mark.parametrize("name", sorted({name for name, _, _ in RUNS}))
def test_example_publishes_without_errors_or_warnings(name: str) -> None:
    report = validate_definition(load(name), registry=REGISTRY)
    assert report.errors == [], [e.message for e in report.errors]


@pytest.mark.parametrize(("name", "payload", "state"), RUNS)
def test_example_runs_to_its_end(name: str, payload: dict[str, Any], state: str) -> None:
    acknowledge = scripted(events=lambda wait: event_for(wait, {"by": "grace"}))
    driver = Driver(Definition.parse(load(name)), REGISTRY, acknowledge, roundtrip=True)
    final = driver.run(start_command(payload))
    assert (final.status, final.envelope["meta"]["state"]) == (RunStatus.SUCCEEDED, state)


def test_the_http_example_publishes_with_the_builtin_plugins() -> None:
    report = validate_definition(load(HTTP_EXAMPLE), registry=BUILTINS)
    assert report.errors == [], [e.message for e in report.errors]  # warnings included


def test_the_http_example_runs_to_its_end_holding_only_the_secret_ref() -> None:
    requests: list[Any] = []

    def chat(request: Any) -> Any:
        requests.append(request)
        body = {"id": "m-1"}
        return complete(
            request,
            {
                "status": 201,
                "ok": True,
                "headers": {},
                "body": body,
                "truncated": False,
                "bytes": 11,
                "url": request.args["url"],
            },
        )

    driver = Driver(
        Definition.parse(load(HTTP_EXAMPLE)),
        BUILTINS,
        scripted({"http.request": chat}),
        roundtrip=True,
    )
    final = driver.run(start_command(TICKET))
    assert (final.status, final.envelope["meta"]["state"]) == (
        RunStatus.SUCCEEDED,
        "POSTED_TO_CHAT",
    )
    assert final.envelope["vars"]["chatMessageId"] == "m-1"
    args = requests[0].args
    assert args["headers"]["Authorization"] == {"secretRef": "env:CHAT_TOKEN", "prefix": "Bearer "}
    assert args["json"]["text"] == "New ticket TIC-000042: Printer on fire"
