"""The runs benchmark's figures as a few readable lines (the JSON has everything)."""

from __future__ import annotations

from typing import Any


def _services(phase: dict[str, Any]) -> str:
    return ", ".join(
        f"{name} {f['cpu_s']} CPU s ({f.get('cores', '-')} cores) / {f['peak_rss_mb']} MB"
        f" / waited {f['runqueue_wait_s']} s for a core"
        for name, f in phase["services"].items()
    )


def summary(result: dict[str, Any]) -> str:
    peak, half = result["peak"], result["half_peak"]
    timers = half["timers"]
    lines = [
        f"peak: {peak['runs_per_s']} runs/s, {peak['steps_per_s']} steps/s over "
        f"{peak['measured_s']} s, slowest 10 s {peak.get('slowest_10s_runs_per_s', '-')} runs/s "
        f"({peak['inflight']} in flight; load {peak['load_1m']}, "
        f"machine {peak['machine_cpu_busy']})",
        f"half peak ({half['rate_asked']} runs/s): p50 {half['latency_p50_ms']} ms, "
        f"p99 {half['latency_p99_ms']} ms (load {half['load_1m']}, "
        f"machine {half['machine_cpu_busy']})",
        f"timers ({timers['timers']} x {timers['timeout_ms']} ms under half-peak load): fired "
        f"p99 {timers['fired_late_p99_ms']} ms late, run done p99 "
        f"{timers['run_done_after_due_p99_ms']} ms after due",
        f"per process at peak: {_services(peak)}",
        f"per process at half peak: {_services(half)}",
    ]
    if "target_rate" in result:
        target = result["target_rate"]
        lines.append(
            f"fixed {target['rate_asked']} runs/s: {target['runs_per_s']} runs/s done, p50 "
            f"{target['latency_p50_ms']} ms, p99 {target['latency_p99_ms']} ms (load "
            f"{target['load_1m']}, machine {target['machine_cpu_busy']})"
        )
    if "dbos" in result:
        dbos = result["dbos"]
        lines += [
            f"DBOS peer: peak {dbos['peak']['runs_per_s']} runs/s (load "
            f"{dbos['peak']['load_1m']}), half peak ({dbos['half_peak']['rate_asked']} runs/s) "
            f"p50 {dbos['half_peak']['latency_p50_ms']} ms p99 "
            f"{dbos['half_peak']['latency_p99_ms']} ms",
            f"ratio Sluice/DBOS: {result['ratio_sluice_to_dbos']}",
        ]
    return "\n".join(lines)
