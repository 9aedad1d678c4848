"""The contract test (issue 17): schemathesis with every check, a fixed seed, all
operations and the stateful phase, against the live API and ingest HTTP API with a
valid admin token. ``make test`` runs a bounded sample (2 examples per operation,
no coverage phase); ``make contract`` (``WF_CONTRACT_FULL=1``) the full run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from contract_stack import Target

pytestmark = pytest.mark.integration
SEED = 17
FULL = os.environ.get("WF_CONTRACT_FULL") == "1"
CONFIG = Path(__file__).with_name("schemathesis.toml.in")
ST = [sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()"]


def schemathesis(target: Target, url: str, workdir: Path) -> dict[str, Any]:
    """One ``st run`` of the whole document at ``url``; its JSON report."""
    config = CONFIG.read_text()
    for name, value in target.ids.items():
        config = config.replace(f"@{name}@", value)
    (workdir / "schemathesis.toml").write_text(config)
    report = workdir / "report.json"
    sample = ["--max-examples", "25"] if FULL else ["--max-examples", "2"]
    phases = "examples,coverage,fuzzing,stateful" if FULL else "examples,fuzzing,stateful"
    command = [
        *ST, "--config-file", str(workdir / "schemathesis.toml"), "run", f"{url}/openapi.json",
        "--checks", "all", "--seed", str(SEED), "--phases", phases, *sample,
        "-H", f"Authorization: Bearer {target.token}", "--workers", "1", "--no-color",
        "--report", "json", "--report-json-path", str(report),
        # Hypothesis' generation-speed check measures the machine (2 shared cores), not the API.
        "--suppress-health-check", "too_slow",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=3000)
    (workdir / "schemathesis.log").write_text(done.stdout + done.stderr)
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    result: dict[str, Any] = json.loads(report.read_text())
    result["log"] = done.stdout[-6000:]
    return result


def summary(report: dict[str, Any]) -> str:
    failures = {f["code"]: (f["title"], f["count"], f["operations"]) for f in report["failures"]}
    return json.dumps({"operations": report["operations"], "test_cases": report["test_cases"],
                       "failures": failures}, indent=1) + "\n" + report["log"]  # fmt: skip


@pytest.mark.timeout(3600 if FULL else 600)  # the bounded sample: ~80 s on a loaded machine
@pytest.mark.parametrize("service", ["api", "ingest"])
def test_schemathesis_finds_no_failure(
    contract_target: Target, service: str, tmp_path: Path
) -> None:
    url = contract_target.api if service == "api" else contract_target.ingest
    report = schemathesis(contract_target, url, tmp_path)
    print(summary(report))  # the figures, with -s
    assert report["operations"]["errored"] == 0, summary(report)
    assert report["operations"]["tested"] == report["operations"]["total"], summary(report)
    assert report["failures"] == [], summary(report)
    assert report["errors"] == [], summary(report)
    assert report["stop_reason"] == "completed"
