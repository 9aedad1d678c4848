"""Expression sandbox cost: compile and evaluate, median and p99, on a ~5 KB email payload.

    uv run python -m bench.expressions_bench [--evaluations 2000] [--compilations 200]

Compile is measured uncached (the LRU is bypassed); evaluate includes the
budget, metered built-ins and the JSON copy of the result. ``raw`` is
jsonata-python alone on the same expression (no sandbox, input validation off)
for the sandbox's overhead. Prints a table, writes bench/results/expressions.json.
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

from jsonata import Functions, Jsonata
from workflow_core.expressions import compile_expression
from workflow_core.expressions.rewrite import rewrite

RESULTS = Path(__file__).parent / "results" / "expressions.json"

EXPRESSIONS = [
    "payload.emailData.subject",
    "payload.emailData.from.address == 'ann@example.com'",
    "len(payload.emailData.attachments) > 0",
    "coalesce(vars.ticketId, payload.emailData.inReplyTo, 'new')",
    "$lowercase($trim(payload.emailData.subject))",
    "$match(payload.emailData.subject, /\\[TICKET-(\\d+)\\]/).groups[0]",
    "payload.emailData.attachments[size > 1000].name",
    "{'title': payload.emailData.subject, 'requester': payload.emailData.from.address, "
    "'tags': append(vars.tags, 'email'), 'at': nowIso()}",
    "$join(payload.emailData.to.address, ', ')",
    "$count(payload.emailData.headers[$contains(name, 'X-')]) > 2 ? 'bulk' : 'normal'",
]


def email_context() -> dict[str, Any]:
    """An envelope view with a ~5 KB inbound email payload."""
    headers = [{"name": f"X-Header-{i}", "value": "v" * 40} for i in range(12)]
    return {
        "payload": {
            "emailData": {
                "messageId": "<abc@mail.example.com>",
                "inReplyTo": None,
                "subject": "  Re: [TICKET-4711] Printer on the 3rd floor is on fire  ",
                "from": {"name": "Ann Example", "address": "ann@example.com"},
                "to": [{"name": "IT", "address": "it@example.com"}, {"address": "ops@example.com"}],
                "headers": headers,
                "textBody": "Hello,\r\n" + "the printer is smoking again. " * 120,
                "attachments": [
                    {"name": "photo.jpg", "size": 204_800, "contentType": "image/jpeg"},
                    {"name": "note.txt", "size": 512, "contentType": "text/plain"},
                ],
            }
        },
        "vars": {"ticketId": None, "tags": ["inbound"]},
        "meta": {"state": "RECEIVED", "traceId": "t-1", "tags": {}},
        "error": None,
    }


def _timings_us(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        action()
        samples.append((time.perf_counter_ns() - started) / 1000)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"median_us": round(statistics.median(ordered), 1), "p99_us": round(p99, 1)}


def _raw_engine(source: str) -> Any:
    """jsonata-python alone, with plain (unmetered) stand-ins for the helpers."""
    raw = Jsonata(rewrite(source).text)
    raw.set_validate_input(False)
    raw.register_lambda("nowIso", lambda: "2026-01-01T00:00:00.000Z")
    raw.register_lambda("len", lambda v=None: len(v) if isinstance(v, str | list) else 0)
    raw.register_lambda("coalesce", lambda *v: next((x for x in v if x is not None), None))
    raw.register_lambda("append", lambda a=None, b=None: Functions.append(a or [], b))
    return raw


def measure(
    source: str, context: dict[str, Any], evaluations: int, compilations: int
) -> dict[str, Any]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    uncached = compile_expression.__wrapped__
    compiled = compile_expression(source)
    raw = _raw_engine(source)
    compiled.evaluate(context, now=now)  # warm-up
    return {
        "expression": source,
        "compile": _summary(_timings_us(lambda: uncached(source), compilations)),
        "evaluate": _summary(_timings_us(lambda: compiled.evaluate(context, now=now), evaluations)),
        "raw_engine_evaluate": _summary(_timings_us(lambda: raw.evaluate(context), evaluations)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=2000)
    parser.add_argument("--compilations", type=int, default=200)
    args = parser.parse_args()
    context = email_context()
    rows = [measure(s, context, args.evaluations, args.compilations) for s in EXPRESSIONS]
    print(f"payload: {len(json.dumps(context['payload']))} bytes of JSON; times in microseconds")
    print(f"{'expression':58} {'compile med/p99':>17} {'eval med/p99':>15} {'raw med':>8}")
    for row in rows:
        c, e, r = row["compile"], row["evaluate"], row["raw_engine_evaluate"]
        print(
            f"{row['expression'][:58]:58} {c['median_us']:8.0f}/{c['p99_us']:<8.0f}"
            f" {e['median_us']:6.0f}/{e['p99_us']:<8.0f} {r['median_us']:8.0f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "expressions",
                "measured_at": datetime.now(UTC).isoformat(),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "payload_bytes": len(json.dumps(context["payload"])),
                "evaluations": args.evaluations,
                "compilations": args.compilations,
                "results": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
