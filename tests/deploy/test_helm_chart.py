"""The Helm chart, offline: `helm lint --strict`, `helm template` with each CI
values file, strict kubernetes-validate on the output, and what every manifest
must hold (pinned images, probes on the real health endpoints, resources,
non-root security context, hooks in order, autoscaling within the partitions)."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from deploy_support.chart import (
    CHART,
    CI_VALUES,
    ROOT,
    Render,
    by_kind,
    container_env,
    pod_specs,
    run_helm,
    validate_manifest,
)
from pydantic import ValidationError
from sluice_config import Settings

# The Prometheus Operator's kinds: no schema in kubernetes-validate; checked below.
OPERATOR_KINDS = {"ServiceMonitor", "PrometheusRule"}
VALUES = {path.stem.removesuffix("-values"): path for path in CI_VALUES}
ROLE_PORT_SETTING = {
    "api": "api_port", "ingest": "ingest_port", "interpreter": "interpreter_port",
    "executor": "executor_port", "scheduler": "scheduler_port",
}  # fmt: skip


def test_ci_values_files_cover_minimal_production_and_sasl() -> None:
    assert {"minimal", "production", "sasl"} <= set(VALUES)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_helm_lint_strict_passes(helm: Path, name: str) -> None:
    done = run_helm(helm, "lint", "--strict", str(CHART), "--values", str(VALUES[name]))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in done.stdout


@pytest.mark.parametrize("name", sorted(VALUES))
def test_rendered_manifests_are_valid_kubernetes(render: Render, name: str) -> None:
    manifests = render(VALUES[name])
    checked = 0
    for manifest in manifests:
        if manifest["kind"] in OPERATOR_KINDS:
            continue
        validate_manifest(manifest)
        checked += 1
    # minimal: ServiceAccount, ConfigMap, 5 Services, 4 Deployments, 2 Jobs, the test Pod
    assert checked >= 14


def test_manifests_are_valid_on_the_oldest_supported_kubernetes(render: Render) -> None:
    """Chart.yaml says kubeVersion >= 1.29: every kind/apiVersion the production values
    use (HPA v2, PDB v1, topology spread...) exists there too."""
    manifests = render(VALUES["production"])
    for manifest in manifests:
        if manifest["kind"] not in OPERATOR_KINDS:
            validate_manifest(manifest, "1.29.0")
    assert 'kubeVersion: ">=1.29.0-0"' in (CHART / "Chart.yaml").read_text()


def test_strict_validation_refuses_an_unknown_field(render: Render) -> None:
    """The validator itself is strict: a misspelt field in a Deployment fails."""
    deployment = copy.deepcopy(by_kind(render(VALUES["minimal"]), "Deployment")["rel-sluice-api"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="httpGett"):
        validate_manifest(deployment)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_every_container_is_pinned_non_root_and_bounded(render: Render, name: str) -> None:
    manifests = render(VALUES[name])
    for owner, spec in pod_specs(manifests).items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, owner
        assert pod["runAsUser"] == 10001, owner
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, owner
        assert spec["automountServiceAccountToken"] is False, owner
        for container in spec["containers"]:
            image = container["image"]
            assert ":latest" not in image, image
            assert ":" in image or "@sha256:" in image, image
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False, owner
            assert ctx["readOnlyRootFilesystem"] is True, owner
            assert ctx["capabilities"]["drop"] == ["ALL"], owner
            assert container["resources"]["requests"]["cpu"], owner
            assert container["resources"]["limits"]["memory"], owner


@pytest.mark.parametrize("name", sorted(VALUES))
def test_deployments_probe_the_real_health_endpoints_on_their_port(
    render: Render, name: str
) -> None:
    manifests = render(VALUES[name])
    deployments = by_kind(manifests, "Deployment")
    assert {"rel-sluice-api", "rel-sluice-ingest", "rel-sluice-interpreter",
            "rel-sluice-scheduler"} <= set(deployments)  # fmt: skip
    for name_, deployment in deployments.items():
        role = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        spec = deployment["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        settings = Settings(**_settings_kwargs(container_env(manifests, container)))
        port = getattr(settings, ROLE_PORT_SETTING[role])
        assert container["ports"][0] == {"name": "http", "containerPort": port, "protocol": "TCP"}
        for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                            ("readinessProbe", "/readyz")):  # fmt: skip
            assert container[probe]["httpGet"] == {"path": path, "port": "http"}, (name_, probe)
        # Faust commits and the outbox relay drains (10 s + 10 s) before the pod is killed.
        minimum = 60 if role in ("interpreter", "executor") else 30
        assert spec["terminationGracePeriodSeconds"] >= minimum, name_
        assert [c["topologyKey"] for c in spec["topologySpreadConstraints"]] == [
            "topology.kubernetes.io/zone", "kubernetes.io/hostname"
        ]  # fmt: skip
        assert {v["mountPath"] for v in container["volumeMounts"]} >= {"/tmp"}


def _settings_kwargs(env: dict[str, str]) -> dict[str, str]:
    """``WF_X`` variables as Settings keyword arguments, refusing any name the model
    does not have (Settings ignores unknown variables, so a typo would be silent)."""
    fields = set(Settings.model_fields)
    kwargs = {}
    for name, value in env.items():
        if not name.startswith("WF_"):
            continue
        field = name.removeprefix("WF_").lower()
        assert field in fields, f"{name} is not a sluice_config.Settings field"
        kwargs[field] = value
    return kwargs


@pytest.mark.parametrize("name", sorted(VALUES))
def test_settings_model_builds_from_every_pods_environment(
    render: Render, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What each service does at start (``load_settings()`` from its environment)
    succeeds with the environment the chart gives its container."""
    manifests = render(VALUES[name])
    for owner, spec in pod_specs(manifests).items():
        for container in spec["containers"]:
            env = container_env(manifests, container)
            _settings_kwargs(env)  # every WF_ name is a real setting
            for key in [k for k in os.environ if k.startswith("WF_")]:
                monkeypatch.delenv(key)
            for key, value in env.items():
                monkeypatch.setenv(key, value)
            if owner.endswith("test-readyz"):
                continue
            settings = Settings()
            assert settings.database_url == env["WF_DATABASE_URL"], owner
            assert settings.kafka_bootstrap_servers, owner
            assert settings.api_host == "0.0.0.0", owner
            assert str(settings.cache_dir) == "/tmp/sluice", owner


def test_sasl_values_give_sasl_ssl_credentials_from_the_secret(render: Render) -> None:
    manifests = render(VALUES["sasl"])
    api = by_kind(manifests, "Deployment")["rel-sluice-api"]
    (container,) = api["spec"]["template"]["spec"]["containers"]
    settings = Settings(**_settings_kwargs(container_env(manifests, container)))
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]
            if "valueFrom" in e}  # fmt: skip
    assert refs["WF_KAFKA_SASL_PASSWORD"] == {"name": "sluice-kafka-user", "key": "password"}
    assert "secret" not in yaml.safe_dump(by_kind(manifests, "ConfigMap"))


def test_production_values_mount_the_kafka_ca_and_client_certificate(render: Render) -> None:
    manifests = render(VALUES["production"])
    job = by_kind(manifests, "Job")["rel-sluice-topics"]
    spec = job["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    settings = Settings(**_settings_kwargs(container_env(manifests, container)))
    assert str(settings.kafka_ssl_cafile) == "/etc/sluice/kafka-ca/ca.crt"
    assert str(settings.kafka_ssl_certfile) == "/etc/sluice/kafka-client/user.crt"
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["kafka-ca"] == "/etc/sluice/kafka-ca"
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["kafka-client"]["secret"]["secretName"] == "sluice-app"


@pytest.mark.parametrize("name", sorted(VALUES))
def test_hooks_run_migrations_then_topics_before_the_deployments(render: Render, name: str) -> None:
    manifests = render(VALUES[name])
    jobs = by_kind(manifests, "Job")
    weights = {}
    for job_name, job in jobs.items():
        notes = job["metadata"]["annotations"]
        assert notes["helm.sh/hook"] == "pre-install,pre-upgrade", job_name
        weights[job_name] = int(notes["helm.sh/hook-weight"])
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["sluice"]
    assert weights["rel-sluice-migrate"] < weights["rel-sluice-topics"]
    migrate = jobs["rel-sluice-migrate"]["spec"]["template"]["spec"]["containers"][0]
    topics = jobs["rel-sluice-topics"]["spec"]["template"]["spec"]["containers"][0]
    assert migrate["args"] == ["db", "upgrade"]
    assert topics["args"] == ["topics", "create"]
    # Everything else is a plain release resource, applied after the pre-* hooks.
    for manifest in manifests:
        if manifest["kind"] in ("Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler"):
            assert "helm.sh/hook" not in manifest["metadata"].get("annotations", {})


@pytest.mark.parametrize("name", sorted(VALUES))
def test_autoscalers_never_exceed_the_partition_count(render: Render, name: str) -> None:
    manifests = render(VALUES[name])
    data = by_kind(manifests, "ConfigMap")["rel-sluice-settings"]["data"]
    partitions = int(data["WF_TOPIC_PARTITIONS"])
    for hpa in by_kind(manifests, "HorizontalPodAutoscaler").values():
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= partitions
        assert hpa["spec"]["scaleTargetRef"]["name"] in by_kind(manifests, "Deployment")


def test_production_values_turn_every_flag_on(render: Render) -> None:
    manifests = render(VALUES["production"])
    kinds = {m["kind"] for m in manifests}
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Ingress",
            "ServiceMonitor", "PrometheusRule", "Job", "Pod"} <= kinds  # fmt: skip
    hpas = by_kind(manifests, "HorizontalPodAutoscaler")
    assert set(hpas) == {"rel-sluice-interpreter", "rel-sluice-executor"}
    assert "replicas" not in by_kind(manifests, "Deployment")["rel-sluice-interpreter"]["spec"]
    images = {c["image"] for spec in pod_specs(manifests).values() for c in spec["containers"]}
    assert "registry.example.com/platform/sluice-api@sha256:" + "1" * 64 in images


def test_executor_apart_follows_the_executor_deployment(render: Render) -> None:
    for name in ("production", "sasl"):
        manifests = render(VALUES[name])
        apart = by_kind(manifests, "ConfigMap")["rel-sluice-settings"]["data"]["WF_EXECUTOR_APART"]
        has_executor = "rel-sluice-executor" in by_kind(manifests, "Deployment")
        assert apart == ("true" if has_executor else "false"), name


def test_network_policies_open_only_api_and_ingest(render: Render) -> None:
    manifests = render(VALUES["production"])
    policies = by_kind(manifests, "NetworkPolicy")
    assert set(policies) >= {f"rel-sluice-{r}" for r in
                             ("api", "ingest", "interpreter", "executor", "scheduler",
                              "migrate", "topics")}  # fmt: skip
    allowed_egress = {53, 587, 5432, 9093, 443}
    monitoring = {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    for name, policy in policies.items():
        spec = policy["spec"]
        assert spec["policyTypes"] == ["Ingress", "Egress"], name
        ports = {p["port"] for rule in spec["egress"] for p in rule["ports"]}
        assert ports <= allowed_egress, (name, ports)
        if name.endswith(("-api", "-ingest")):
            continue
        for rule in spec.get("ingress", []):
            assert rule["from"] == [{"namespaceSelector": monitoring}], name
    executor_ports = {p["port"] for r in policies["rel-sluice-executor"]["spec"]["egress"]
                      for p in r["ports"]}  # fmt: skip
    assert 443 in executor_ports
    smtp = {p["port"] for r in policies["rel-sluice-api"]["spec"]["egress"] for p in r["ports"]}
    assert 443 not in smtp


def test_ingest_smtp_has_its_own_service(render: Render) -> None:
    services = by_kind(render(VALUES["production"]), "Service")
    smtp = services["rel-sluice-ingest-smtp"]["spec"]
    assert smtp["type"] == "LoadBalancer"
    assert smtp["ports"] == [{"name": "smtp", "port": 25, "targetPort": "smtp", "protocol": "TCP"}]
    assert smtp["selector"]["app.kubernetes.io/component"] == "ingest"


def test_prometheus_rules_use_metrics_the_services_export(render: Render) -> None:
    """Each alert's metric is one a service really exports (a renamed metric would
    otherwise leave an alert that can never fire)."""
    manifests = render(VALUES["production"])
    (rule,) = by_kind(manifests, "PrometheusRule").values()
    plain = yaml.safe_load((CHART / "files" / "prometheus-rules.yaml").read_text())
    assert rule["spec"] == plain  # one source: the plain rules file is what the chart ships
    sources = "\n".join(
        p.read_text() for base in ("services", "libs") for p in (ROOT / base).rglob("*.py")
    )
    alerts = rule["spec"]["groups"][0]["rules"]
    assert len(alerts) >= 6
    for alert in alerts:
        for metric in re.findall(r"\bsluice_[a-z_]+", alert["expr"]):
            base = re.sub(r"_(total|bucket|count|sum)$", "", metric)
            assert f'"{base}' in sources, f"{alert['alert']}: no service exports {metric}"
    (monitor,) = by_kind(manifests, "ServiceMonitor").values()
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"


def test_helm_test_pod_calls_readyz_of_api_and_ingest(render: Render) -> None:
    pod = by_kind(render(VALUES["minimal"]), "Pod")["rel-sluice-test-readyz"]
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (container,) = pod["spec"]["containers"]
    assert container["args"] == [
        "http://rel-sluice-api:80/readyz", "http://rel-sluice-ingest:80/readyz"
    ]  # fmt: skip


def test_values_yaml_documents_every_top_level_key() -> None:
    """Each top-level key of values.yaml sits under a comment (in its paragraph)."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    for index, line in enumerate(lines):
        if not line or line.startswith((" ", "#")):
            continue
        paragraph = []
        for previous in reversed(lines[:index]):
            if not previous.strip():
                break
            paragraph.append(previous)
        assert any(p.startswith("#") for p in paragraph), f"undocumented: {line}"


def test_sasl_without_password_fails_when_settings_are_built() -> None:
    """The chart's env with the SASL Secret missing would not start: the model says why."""
    with pytest.raises(ValidationError, match="WF_KAFKA_SASL_PASSWORD"):
        Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="sluice")
