"""The Dockerfile, offline (no Docker engine here): hadolint clean, a target per
role whose command matches the chart's, pinned bases, non-root, a HEALTHCHECK
per long-running role, OCI labels, a .dockerignore that keeps local state out;
and the health probe script the images and `helm test` run."""

from __future__ import annotations

import http.server
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_support.chart import ROOT, Render

DOCKERFILE = ROOT / "Dockerfile"
HEALTHCHECK = ROOT / "deploy" / "docker" / "healthcheck.py"
ROLES = ("api", "ingest", "interpreter", "executor", "scheduler")


def _stages() -> dict[str, str]:
    """Stage name -> its instructions (text up to the next FROM)."""
    text = DOCKERFILE.read_text()
    parts = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    stages = {}
    for part in parts:
        header = part.splitlines()[0]
        stages[header.split(" AS ")[-1].strip()] = "FROM " + part
    return stages


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    done = subprocess.run(
        [str(hadolint), "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_one_target_per_role_and_job() -> None:
    stages = _stages()
    assert set(ROLES) | {"migrate", "topics", "runtime"} <= set(stages)
    for name in (*ROLES, "migrate", "topics"):
        assert stages[name].startswith("FROM runtime AS"), name


def test_base_images_pinned_to_exact_versions() -> None:
    text = DOCKERFILE.read_text()
    pins = dict(re.findall(r"^ARG (\w+_IMAGE)=(\S+)$", text, flags=re.MULTILINE))
    assert set(pins) == {"PYTHON_IMAGE", "NODE_IMAGE"}
    for image in pins.values():
        assert re.search(r":\d+\.\d+\.\d+-", image), image  # e.g. python:3.11.14-slim-bookworm
    assert re.search(r"ARG UV_VERSION=\d+\.\d+\.\d+", text)


def test_runtime_is_non_root_without_build_tools_and_labelled() -> None:
    runtime = _stages()["runtime"]
    assert "USER 10001:10001" in runtime
    assert "WF_CACHE_DIR=/tmp/sluice" in runtime  # the only place written: read-only rootfs
    for tool in ("apt-get", "gcc", "build-essential", "pip install", "npm", "uv "):
        assert tool not in runtime, tool
    for label in ("title", "version", "revision", "created", "source"):
        assert f"org.opencontainers.image.{label}=" in runtime, label
    assert "uv sync --frozen --no-dev --no-editable" in _stages()["python-build"]


def test_each_role_has_a_healthcheck_on_its_own_port_setting() -> None:
    stages = _stages()
    for role in ROLES:
        setting = f"WF_{role.upper()}_PORT"
        assert f'"/app/healthcheck.py", "{setting}"' in stages[role], role
    for job in ("migrate", "topics"):
        assert "HEALTHCHECK NONE" in stages[job]
    assert "COPY --from=ui-build /ui/dist /app/ui/dist" in stages["api"]
    assert "ENV WF_UI_DIR=/app/ui/dist" in stages["api"]  # sluice_config.Settings.ui_dir


def test_image_commands_match_the_charts(render: Render) -> None:
    from deploy_support.chart import CHART, by_kind

    manifests = render(CHART / "ci" / "production-values.yaml")
    stages = _stages()
    for name, deployment in by_kind(manifests, "Deployment").items():
        role = name.removeprefix("rel-sluice-")
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        cmd = ", ".join(f'"{part}"' for part in container["command"])
        assert f"CMD [{cmd}]" in stages[role], role


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".cache", "**/node_modules", "tests", "**/.env"} <= ignored


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def _probe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK), *args],
        capture_output=True, text=True, timeout=30, env=env, check=False,
    )  # fmt: skip


def test_healthcheck_reads_the_port_setting(server: int) -> None:
    assert _probe("WF_API_PORT", "1", env={"WF_API_PORT": str(server)}).returncode == 0
    refused = _probe("WF_API_PORT", "1", env={})  # default port 1: nothing listens
    assert refused.returncode == 1
    assert "healthcheck: http://127.0.0.1:1/healthz" in refused.stderr


def test_healthcheck_urls_all_must_answer_200(server: int) -> None:
    good = f"http://127.0.0.1:{server}/healthz"
    bad = f"http://127.0.0.1:{server}/readyz"  # 503 from the test server
    assert _probe(good).returncode == 0
    failed = _probe(good, bad)
    assert failed.returncode == 1
    assert "503" in failed.stderr
