"""The alert rules (deploy/helm/sluice/files/prometheus-rules.yaml) checked and unit-tested
with promtool (Debian's `prometheus` package; .ci/run installs it): every alert of
issue 19 fires on the trouble it names and stays quiet on a healthy neighbour."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "sluice" / "files"
PROMTOOL = os.environ.get("WF_PROMTOOL") or shutil.which("promtool") or "/usr/bin/promtool"
ALERTS_TESTED = {
    "SluiceWorkflowFailureRate", "SluiceRepeatedRetries", "SluiceRunsStuck", "SluiceStaleLeases",
    "SluiceOutboxBacklog", "SluiceConsumerLagGrowing", "SluiceDeadLetters", "SluiceTimersLate",
}  # fmt: skip


@pytest.fixture(scope="module")
def promtool() -> str:
    assert Path(PROMTOOL).exists(), f"{PROMTOOL} is missing: apt-get install -y prometheus"
    return PROMTOOL


def _run(promtool: str, *args: str) -> str:
    done = subprocess.run(
        [promtool, *args], cwd=FILES, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_rules_file_is_valid(promtool: str) -> None:
    assert "SUCCESS" in _run(promtool, "check", "rules", "prometheus-rules.yaml")


def test_alerts_fire_on_their_trouble_only(promtool: str) -> None:
    assert "SUCCESS" in _run(promtool, "test", "rules", "prometheus-rules.test.yaml")
    tests = (FILES / "prometheus-rules.test.yaml").read_text()
    untested = {a for a in ALERTS_TESTED if f"alertname: {a}" not in tests}
    assert not untested, f"alerts without a promtool test: {sorted(untested)}"
