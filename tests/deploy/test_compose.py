"""deploy/compose/compose.yaml, offline (no Docker engine here): valid against the
Compose Specification's JSON schema (as vendored by check-jsonschema), start order
gated on health and on the one-shot set-up services, hardened containers, and an
environment each service's settings model accepts."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from deploy_support.chart import ROOT
from sluice_config import Settings

COMPOSE = ROOT / "deploy" / "compose" / "compose.yaml"
ONE_SHOT = {"migrate": ["db", "upgrade"], "topics": ["topics", "create"]}
ROLES = {
    "api": "api_port", "ingest": "ingest_port", "interpreter": "interpreter_port",
    "executor": "executor_port", "scheduler": "scheduler_port",
}  # fmt: skip


def _schema() -> dict[str, Any]:
    spec = importlib.util.find_spec("check_jsonschema")
    assert spec is not None
    assert spec.submodule_search_locations
    path = Path(spec.submodule_search_locations[0]) / "builtin_schemas/vendor/compose-spec.json"
    return dict(json.loads(path.read_text()))


def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(_schema())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def test_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in _validator().iter_errors(compose)]
    assert errors == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("services", "api", "depends_on", "migrate", "condition"), "service_done",
         "is not valid under any of the given schemas"),
        (("services", "api", "healthchek"), {}, "'healthchek' does not match any of the regexes"),
        (("services", "api", "stop_grace_period"), 60, "60 is not of type 'string'"),
    ],
)  # fmt: skip
def test_schema_check_refuses_a_broken_file(
    compose: dict[str, Any], path: tuple[str, ...], value: object, message: str
) -> None:
    broken = copy.deepcopy(compose)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    messages = [e.message for e in _validator().iter_errors(broken)]
    assert any(message in m for m in messages), messages


def test_set_up_runs_once_after_the_stores_are_healthy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, args in ONE_SHOT.items():
        assert services[name]["command"] == args
        assert services[name]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["topics"]["depends_on"]["kafka"] == {"condition": "service_healthy"}
    assert services["topics"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


def test_every_role_starts_after_set_up_and_has_a_healthcheck(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for role, port_setting in ROLES.items():
        service = services[role]
        gates = service["depends_on"]
        assert gates["postgres"] == gates["kafka"] == {"condition": "service_healthy"}, role
        for one_shot in ONE_SHOT:
            assert gates[one_shot] == {"condition": "service_completed_successfully"}, role
        env_name = f"WF_{port_setting.upper()}"
        default_port = Settings.model_fields[port_setting].default
        assert service["healthcheck"]["test"] == [
            "CMD", "python", "/app/healthcheck.py", env_name, str(default_port)
        ], role  # fmt: skip
        assert service["build"] == {"context": "../..", "target": role}
    for store in ("postgres", "kafka"):
        assert services[store]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")


def test_sluice_containers_are_hardened_and_images_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        assert ":" in image, name
        assert not image.endswith(":latest"), name
        if name in ("postgres", "kafka"):
            continue
        assert service["user"] == "10001:10001", name
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert service["tmpfs"][0].startswith("/tmp:"), name


def test_kafka_matches_the_local_stack_version(compose: dict[str, Any]) -> None:
    from sluice_devstack.kafka_jars import kafka_version

    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{kafka_version()}"
    env = compose["services"]["kafka"]["environment"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_settings_model_builds_from_each_services_environment(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = set(Settings.model_fields)
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        if name in ("postgres", "kafka"):
            continue
        for key in env:
            assert key.removeprefix("WF_").lower() in fields, f"{name}: {key} is not a setting"
        for key, value in env.items():
            # ${VAR:-default} as Compose would fill it with nothing set
            monkeypatch.setenv(key, _interpolate(str(value)))
        settings = Settings()
        if name in ROLES or name in ONE_SHOT:
            assert settings.database_url == (
                "postgresql://sluice:sluice-local@postgres:5432/sluice"
            )
            assert settings.kafka_bootstrap_servers == "kafka:9092"
            assert settings.executor_apart is True
            assert settings.smtp_host == "mail-sink"
        for key in env:
            monkeypatch.delenv(key)


def _interpolate(text: str) -> str:
    import re

    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)
