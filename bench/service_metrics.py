"""What the interpreter's own /metrics say about a phase: batches, their size and time.

Scraped at the start and end of a phase; the difference gives, per agent,
how many polled batches it handled, the mean messages per batch and the mean
time per batch (``sluice_batch_seconds``, ``sluice_messages_total``). Small
batches at low load are what makes a run's hops cost a transaction each.
"""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, str, str], float]  # (sample name, agent, outcome) -> value


async def scrape(port: int) -> Samples:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics", timeout=5)).text
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            key = (sample.name, labels.get("agent", ""), labels.get("outcome", ""))
            samples[key] = samples.get(key, 0.0) + sample.value
    return samples


def batches(before: Samples, after: Samples) -> dict[str, Any]:
    """Per agent: batches, messages, mean messages per batch, mean ms per batch."""
    delta = {key: value - before.get(key, 0.0) for key, value in after.items()}
    agents = {agent for (name, agent, _) in delta if name == "sluice_batch_seconds_count"}
    summary: dict[str, Any] = {}
    for agent in sorted(agents):
        count = delta.get(("sluice_batch_seconds_count", agent, ""), 0.0)
        took = delta.get(("sluice_batch_seconds_sum", agent, ""), 0.0)
        messages = sum(
            value
            for (name, who, outcome), value in delta.items()
            if name == "sluice_messages_total" and who == agent and outcome != "accepted"
        )
        if agent == "executor":  # requests accepted into jobs, not job outcomes
            messages = delta.get(("sluice_messages_total", agent, "accepted"), 0.0)
        summary[agent] = {
            "batches": int(count),
            "messages": int(messages),
            "per_batch": round(messages / count, 1) if count else 0,
            "ms_per_batch": round(1000 * took / count, 1) if count else 0,
        }
    return summary
