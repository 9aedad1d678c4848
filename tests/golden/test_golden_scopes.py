"""The reference workflow's computed scopes, stored and compared like code.

``tests/golden/scopes/inbound_email.json`` holds, for every step, what
``vars`` holds before it (each name's kind, two levels deep, "?" when it is
there on some paths only) and whether ``error`` is set. A difference means
the type analysis changed; if deliberate, re-record with
``SLUICE_GOLDEN_RECORD=1 make test-fast`` and review the diff. Also: the
reference publishes with no finding at all, and its analysis stays well
under 20 ms.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from sluice_engine import ActionHandlers, load_plugins
from sluice_helpdesk.workflows import inbound_email_definition
from workflow_core.registry import Registry, create_registry
from workflow_core.typeflow import Presence, Shape, describe
from workflow_core.validation import analyse_types, validate_definition

RECORD = os.environ.get("SLUICE_GOLDEN_RECORD") == "1"
STORED = Path(__file__).parent / "scopes" / "inbound_email.json"
# Issue 20's bound for one analysis of the reference workflow; measured ~9 ms on a
# shared 2-core machine. Timed in CPU time (process_time), best of 7: the bound is
# the analysis' cost; wall time on a machine loaded 10x over (seen: load 20 on 2
# cores) measures the scheduler, not the analysis.
BUDGET_MS = 20.0


def plugin_registry() -> Registry:
    registry = create_registry()
    load_plugins("", registry, ActionHandlers())
    return registry.freeze()


def _computed() -> dict[str, Any]:
    analysis = analyse_types(inbound_email_definition(), plugin_registry())
    return {
        path: {
            "stepId": scope.step_id,
            "reachable": scope.reachable,
            "errorSet": scope.env.error.obj is not None,
            "vars": _summary(scope.env.vars, 3),
        }
        for path, scope in analysis.scopes.items()
    }


def _summary(shape: Shape, depth: int) -> Any:
    if shape.obj is None or depth == 0 or shape.unknown:
        return describe(shape)
    return {
        name + ("?" if field.presence is Presence.SOME_PATHS else ""): _summary(
            field.shape, depth - 1
        )
        for name, field in shape.obj.fields
    }


def test_reference_scopes_are_reproduced() -> None:
    computed = json.loads(json.dumps(_computed()))
    if RECORD:
        STORED.write_text(json.dumps(computed, indent=1, sort_keys=True) + "\n")
    assert computed == json.loads(STORED.read_text())


def test_reference_workflow_publishes_with_no_error_and_no_warning() -> None:
    report = validate_definition(inbound_email_definition(), registry=plugin_registry())
    assert report.errors == []
    strict = {**inbound_email_definition(), "strictTypes": True}
    assert validate_definition(strict, registry=plugin_registry()).errors == []


def test_reference_analysis_takes_under_20_ms() -> None:
    document, registry = inbound_email_definition(), plugin_registry()
    analyse_types(document, registry)  # warm the expression and schema caches
    timings = []
    for _ in range(7):
        started = time.process_time()
        analyse_types(document, registry)
        timings.append((time.process_time() - started) * 1000)
    assert min(timings) < BUDGET_MS, timings
