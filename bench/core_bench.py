"""Interpreter throughput: ``advance`` steps per second on one core, email-shaped workflow.

    uv run python -m bench.core_bench [--runs 200]

Replays the commands of the golden ``email_new_ticket`` history (the SPEC
section 12 shape with stub node types and actions: 30+ steps, a retry, a loop,
a tryCatch) through ``advance`` and times only ``advance`` itself, snapshots
(redaction + cap) included. ``cpu_ms_per_run`` (process CPU time per email, the
harness's own loop included) is the figure to compare on a shared machine.
Expression costs are benchmarked separately (``bench.expressions_bench``). Also
times what a service adds per command: RunState to JSON and back. Prints a
summary, writes bench/results/core.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the golden scenarios and their stub registry

from golden.golden_scenarios import HISTORIES, SCENARIOS  # noqa: E402
from workflow_core.interpreter import (  # noqa: E402
    COMMAND_ADAPTER,
    AttemptStatus,
    RecordStepAttempt,
    RunState,
    advance,
)

RESULTS = ROOT / "bench" / "results" / "core.json"
SCENARIO = "email_new_ticket"


def _commands() -> list[Any]:
    history = json.loads((HISTORIES / f"{SCENARIO}.json").read_text())
    return [COMMAND_ADAPTER.validate_python(entry["command"]) for entry in history]


def _one_run(definition: Any, registry: Any, commands: list[Any], samples: list[float]) -> int:
    state, steps = None, 0
    for command in commands:
        started = time.perf_counter_ns()
        transition = advance(definition, state, command, registry=registry)
        samples.append((time.perf_counter_ns() - started) / 1000)
        steps += sum(
            1
            for e in transition.effects
            if isinstance(e, RecordStepAttempt) and e.status is AttemptStatus.STARTED
        )
        state = transition.state
    return steps


def _state_roundtrip_us(state: RunState, repeat: int = 500) -> float:
    started = time.perf_counter_ns()
    for _ in range(repeat):
        RunState.model_validate_json(state.model_dump_json())
    return (time.perf_counter_ns() - started) / 1000 / repeat


def measure(runs: int) -> dict[str, Any]:
    scenario = next(s for s in SCENARIOS if s.name == SCENARIO)
    definition, registry, commands = scenario.definition(), scenario.registry(), _commands()
    _one_run(definition, registry, commands, [])  # warm caches (compiled expressions, schemas)
    samples: list[float] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    steps = sum(_one_run(definition, registry, commands, samples) for _ in range(runs))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # steadier than the wall clock on a shared machine
    final = scenario.play().state
    assert final is not None
    ordered = sorted(samples)
    return {
        "benchmark": "core",
        "measured_at": datetime.now(UTC).isoformat(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "scenario": SCENARIO,
        "runs": runs,
        "steps_per_run": steps // runs,
        "commands_per_run": len(commands),
        "steps_per_second": round(steps / elapsed),
        "commands_per_second": round(len(samples) / elapsed),
        "runs_per_second": round(runs / elapsed, 1),
        "cpu_ms_per_run": round(cpu * 1000 / runs, 3),
        "advance_median_us": round(statistics.median(ordered), 1),
        "advance_p99_us": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "state_json_roundtrip_us": round(_state_roundtrip_us(final), 1),
        "state_json_bytes": len(final.model_dump_json()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    result = measure(parser.parse_args().runs)
    for key, value in result.items():
        print(f"{key:>26}: {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
