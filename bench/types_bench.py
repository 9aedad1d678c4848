"""Type analysis cost: ``analyse_types`` and full publish validation of the reference workflow.

    uv run python -m bench.types_bench [--runs 200]

Issue 20's bound: one analysis of the reference inbound-email workflow under
20 ms. Cold = expression and schema caches cleared first (a fresh process's
first publish); warm = what every later publish and every designer request
costs. Prints a summary, writes bench/results/types.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sluice_engine import ActionHandlers, load_plugins
from sluice_helpdesk.workflows import inbound_email_definition
from workflow_core.expressions import compile_expression
from workflow_core.registry import create_registry
from workflow_core.typeflow.from_schema import _cached
from workflow_core.validation import analyse_types, validate_definition

RESULTS = Path(__file__).resolve().parent / "results" / "types.json"


def _times(work: Callable[[], Any], runs: int, *, cold: bool = False) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        if cold:
            compile_expression.cache_clear()
            _cached.cache_clear()
        started = time.process_time()
        work()
        samples.append((time.process_time() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3),
        "min_ms": round(samples[0], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    registry = create_registry()
    load_plugins("", registry, ActionHandlers())
    registry.freeze()
    document = inbound_email_definition()
    figures = {
        "analyse_cold": _times(lambda: analyse_types(document, registry), 20, cold=True),
        "analyse_warm": _times(lambda: analyse_types(document, registry), runs),
        "validate_warm": _times(lambda: validate_definition(document, registry=registry), runs),
    }
    result = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "timer": "process_time (CPU), the machine shared with other sessions",
        "steps": len(analyse_types(document, registry).scopes),
        **figures,
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    for name, values in figures.items():
        print(f"{name:14} p50 {values['p50_ms']:7.2f} ms  p99 {values['p99_ms']:7.2f} ms")


if __name__ == "__main__":
    main()
