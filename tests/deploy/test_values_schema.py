"""values.schema.json and the chart's own checks refuse bad values with a message
that names the field (what an operator sees from `helm install`/`upgrade`)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from deploy_support.chart import CHART, CI_VALUES, template

MINIMAL = CHART / "ci" / "minimal-values.yaml"

REFUSED = [
    # (--set, what the message must say)
    ("api.replicas=0", "at '/api/replicas': minimum: got 0, want 1"),
    ("scheduler.replicas=-2", "at '/scheduler/replicas': minimum: got -2, want 1"),
    ("kafka.partitions=many", "at '/kafka/partitions': got string, want integer"),
    ("replicas=3", "additional properties 'replicas' not allowed"),
    ("api.resources.requestz.cpu=1", "at '/api/resources': additional properties 'requestz'"),
    ("kafka.securityProtocol=KERBEROS", "at '/kafka/securityProtocol': value must be one of"),
    ("ingest.smtpPort=70000", "at '/ingest/smtpPort': maximum: got 70,000, want 65,535"),
    ("config.logLevel=LOUD", "at '/config/logLevel': value must be one of"),
    ("image.digests.api=sha1:abc", "at '/image/digests/api'"),
    ("interpreter.autoscaling.enabled=true,interpreter.autoscaling.maxReplicas=7",
     "interpreter.autoscaling.maxReplicas=7 exceeds kafka.partitions=6"),
    ("interpreter.replicas=9", "interpreter.replicas=9 exceeds kafka.partitions=6"),
    ("image.tag=latest", "image.tag=latest is refused: pin an exact version"),
    ("kafka.bootstrapServers=", "kafka.bootstrapServers is required"),
    ("postgresql.existingSecret=", "postgresql.existingSecret is required"),
    ("kafka.securityProtocol=SASL_SSL",
     "kafka.securityProtocol=SASL_SSL needs kafka.sasl.existingSecret"),
]  # fmt: skip


@pytest.mark.parametrize(("setting", "message"), REFUSED, ids=[s for s, _ in REFUSED])
def test_bad_values_are_refused_with_the_field_named(
    helm: Path, setting: str, message: str
) -> None:
    done = template(helm, [MINIMAL], [setting])
    assert done.returncode != 0, f"{setting} was accepted"
    assert message in done.stderr, done.stderr


def test_the_minimal_values_pass(helm: Path) -> None:
    done = template(helm, [MINIMAL])
    assert done.returncode == 0, done.stderr


def _schema() -> dict[str, object]:
    return dict(json.loads((CHART / "values.schema.json").read_text()))


def test_schema_is_valid_draft_2020_12_and_accepts_the_shipped_values() -> None:
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    assert list(validator.iter_errors(defaults)) == []
    for path in CI_VALUES:
        merged = _merge(defaults, yaml.safe_load(path.read_text()))
        errors = [e.message for e in validator.iter_errors(merged)]
        assert errors == [], (path.name, errors)


def test_schema_knows_every_key_of_values_yaml() -> None:
    """additionalProperties is false at every object level the chart defines, so a key
    added to values.yaml without a schema entry is caught here, not by users."""
    schema = _schema()
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    assert schema["additionalProperties"] is False
    properties = schema["properties"]
    assert isinstance(properties, dict)
    assert set(defaults) <= set(properties)


def _merge(base: dict[str, object], top: dict[str, object]) -> dict[str, object]:
    merged = dict(base)
    for key, value in top.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = _merge(old, value)
        else:
            merged[key] = value
    return merged
