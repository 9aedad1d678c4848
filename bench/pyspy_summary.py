"""Where an interpreter's CPU goes, from py-spy's collapsed stacks (``BENCH_PYSPY``).

Each sample is charged to one category: the leaf-most frame that belongs to a
known layer (socket syscalls, JSON, pydantic, asyncpg, the pure core, Faust,
aiokafka, Sluice's shell, the event loop). A second view charges each sample
to the interpreter's work it was done for (advance agent, action jobs, relay,
accepting requests, Faust's consumer).

    uv run python -m bench.pyspy_summary /tmp/spy/interpreter-0.txt
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

LAYERS = (  # (category, substrings of a frame's file), matched leaf first
    ("socket send/recv syscalls", ("selector_events.py", "socket.py")),
    ("JSON encode/decode", ("json/", "orjson")),
    ("pydantic", ("pydantic",)),
    ("asyncpg", ("asyncpg/",)),
    ("core advance (workflow_core)", ("workflow_core/",)),
    ("aiokafka", ("aiokafka/",)),
    ("faust / mode", ("faust/", "mode/")),
    ("sluice shell (engine, storage, interpreter)", ("sluice_",)),
    ("asyncio event loop", ("asyncio/", "selectors.py")),
)
WORK = (  # (work, function names), matched root first
    ("outbox relay", ("OutboxRelay.",)),
    ("action jobs (JobRunner, execute_jobs)", ("JobRunner.", "execute_jobs")),
    ("advance agent (apply_command)", ("handle_command_batch", "_apply_group", "apply_one")),
    ("executor agent (accept requests)", ("accept_requests",)),
    ("faust consumer / fetcher", ("Fetcher.", "Consumer.", "Agent.", "Stream.")),
    ("producer", ("Sender.", "AIOKafkaProducer")),
)


def _layer(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, needles in LAYERS:
            if any(needle in frame for needle in needles):
                return name
    return "other"


def _work(frames: list[str]) -> str:
    for frame in frames:
        for name, needles in WORK:
            if any(frame.startswith(needle) or needle in frame for needle in needles):
                return name
    return "other"


def summarize(path: Path) -> str:
    layers: Counter[str] = Counter()
    work: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, samples = stack.split(";"), int(count)
        total += samples
        layers[_layer(frames)] += samples
        work[_work(frames)] += samples
    rows = [f"{path.name}: {total} samples (threads not idle)", "", "| layer | share |", "|-|-|"]
    rows += [f"| {name} | {n / total:.0%} |" for name, n in layers.most_common()]
    rows += ["", "| work | share |", "|-|-|"]
    rows += [f"| {name} | {n / total:.0%} |" for name, n in work.most_common()]
    return "\n".join(rows)


if __name__ == "__main__":
    print("\n\n".join(summarize(Path(arg)) for arg in sys.argv[1:]))
