"""``sluice definitions validate DIR``: publish validation offline, exit codes for CI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sluice_cli.main import cli

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_examples_validate_with_exit_code_0() -> None:
    result = CliRunner().invoke(cli, ["definitions", "validate", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    count = len(list(EXAMPLES.glob("*.json")))  # http.request's example too (built-in plugin)
    assert f"{count} definitions checked, 0 with errors" in result.output


def test_errors_are_located_and_exit_1(tmp_path: Path) -> None:
    steps = [
        {"id": "d", "type": "timer.delay", "config": {"durationMs": -1}},
        {"id": "c", "type": "control.callWorkflow", "workflowId": "wf-ok"},
        {"id": "x", "type": "control.callWorkflow", "workflowId": "wf-gone"},
    ]
    trigger = {"type": "schedule", "cron": "0 8 * *"}
    broken = {"id": "wf-b", "name": "broken", "trigger": trigger, "steps": steps}
    fine = {"id": "wf-ok", "name": "fine", "steps": []}
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    (tmp_path / "fine.json").write_text(json.dumps(fine))
    (tmp_path / "garbage.json").write_text("{not json")
    result = CliRunner().invoke(cli, ["definitions", "validate", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    broken_path, garbage_path = tmp_path / "broken.json", tmp_path / "garbage.json"
    assert (
        f"{broken_path}: error INVALID_TRIGGER at root (/trigger/cron): trigger.cron: "
        in (lines[0])
    )
    assert any(
        line.startswith(f"{broken_path}: error INVALID_CONFIG at root.steps[0]") for line in lines
    )
    unknown = [line for line in lines if "UNKNOWN_WORKFLOW" in line]
    assert len(unknown) == 1  # wf-ok is in the directory, wf-gone is not
    assert "root.steps[2]" in unknown[0]
    assert any(line.startswith(f"{garbage_path}: error INVALID_JSON at root") for line in lines)
    assert not any(str(tmp_path / "fine.json") in line for line in lines)


def test_json_output_and_missing_directory(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"name": "a", "steps": []}))
    result = CliRunner().invoke(cli, ["definitions", "validate", str(tmp_path), "--output", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {str(tmp_path / "a.json"): {"ok": True, "errors": []}}
    missing = CliRunner().invoke(cli, ["definitions", "validate", str(tmp_path / "nope")])
    assert missing.exit_code == 2
