"""Publish validation of the ``timer.delay`` node's config."""

from __future__ import annotations

from typing import Any

import pytest
from validation_support import definition, email_registry, expr, found
from workflow_core.validation import validate_definition


def _messages(config: dict[str, Any]) -> list[tuple[str, str, str]]:
    step = {"id": "d", "type": "timer.delay", "config": config}
    report = validate_definition(definition(step), registry=email_registry())
    assert all(e.step_id == "d" for e in report.errors)
    return [(e.code, e.step_path, e.message) for e in report.errors]


@pytest.mark.parametrize(
    "config",
    [
        {"durationMs": 60_000},
        {"durationMs": 0},
        {"durationMs": expr("60 * 1000")},
        {"until": "2026-03-29T08:00:00+02:00"},
        {"until": "2026-03-29T06:00:00Z"},
        {"until": expr("nowIso()")},
    ],
)
def test_delay_valid_configs_publish(config: dict[str, Any]) -> None:
    assert _messages(config) == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "config: 'durationMs' is a required property (no alternative of oneOf"),
        (
            {"durationMs": 1, "until": "2026-03-29T06:00:00Z"},
            "config: matches more than one alternative of oneOf; exactly one must match",
        ),
        ({"durationMs": -5}, "config/durationMs: -5 is less than the minimum of 0"),
        ({"durationMs": 1.5}, "config/durationMs: 1.5 is not of type 'integer'"),
        ({"until": "2026-03-29T08:00:00"}, "config.until: '2026-03-29T08:00:00' has no UTC offset"),
        ({"until": "next monday"}, "config.until: 'next monday' is not an ISO 8601 date-time"),
        ({"durationMs": 1, "seconds": 2}, "config: unknown field 'seconds'"),
    ],
)
def test_delay_invalid_config_is_a_located_error(config: dict[str, Any], message: str) -> None:
    errors = _messages(config)
    assert errors, config
    assert all(code == "INVALID_CONFIG" and path == "root.steps[0]" for code, path, _ in errors)
    assert any(text.startswith(message) for _, _, text in errors), errors


def test_delay_is_known_to_the_registry_with_its_schema() -> None:
    spec = email_registry().node_types.get("timer.delay")
    assert spec is not None
    assert spec.ui.category == "Waits"
    assert set(spec.config_schema["properties"]) == {"durationMs", "until"}
    assert found(validate_definition(definition(), registry=email_registry())) == []
