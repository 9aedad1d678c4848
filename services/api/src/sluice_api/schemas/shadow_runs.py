"""Shadow runs on the wire: which past runs to replay, and what the draft would have done.

The per-run parts are the core's own report models (``workflow_core.simulation``:
camelCase, the same on the wire as in the core), redacted as run history is.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import ConfigDict, Field
from workflow_core.simulation import (
    ActionCallReport,
    Change,
    Outcome,
    UnusedRecording,
    WaitReport,
)

from sluice_api.schemas.common import WireModel

MAX_SHADOW_RUNS = 50  # one request replays at most this many runs (in memory, ~ms each)


class ShadowSample(WireModel):
    """The ``sample`` most recent finished runs of the workflow (any version)."""

    model_config = ConfigDict(extra="forbid")
    sample: int = Field(ge=1, le=MAX_SHADOW_RUNS, strict=True)


class ShadowRunIds(WireModel):
    """These runs of the workflow (finished ones; duplicates count once)."""

    model_config = ConfigDict(extra="forbid")
    run_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_SHADOW_RUNS)


ShadowRunRequest = ShadowSample | ShadowRunIds


class ShadowRunPublic(WireModel):
    """One past run replayed through the draft: both ends, the differences, the calls."""

    run_id: uuid.UUID
    workflow_version: int = Field(description="the version the past run ran")
    started_at: datetime
    past: Outcome
    draft: Outcome = Field(description="status REFUSED: the draft refuses the payload")
    outcome_changed: bool = Field(description="status, state or the error's name/step differ")
    changes: list[Change] = Field(
        description="final envelope differences (meta.state, payload, vars, error), redacted"
    )
    changes_truncated: bool
    calls: list[ActionCallReport] = Field(
        description="every action request the draft made (one per attempt) and its answer"
    )
    not_called: list[UnusedRecording] = Field(
        description="recorded calls of the past run the draft did not make"
    )
    waits: list[WaitReport] = Field(description="event waits, tasks, delays, child runs")
    commands: int = Field(description="commands the draft's run took (bounded)")
    stopped: str | None = Field(
        default=None, description="why the draft's run did not end, if it did not"
    )


class ShadowSummary(WireModel):
    runs: int
    outcome_changed: int
    unchanged: int = Field(description="same outcome, every call answered as recorded")
    with_unrecorded_calls: int = Field(description="runs with a NO_RECORDING call or wait")
    with_changed_inputs: int = Field(description="runs with an INPUT_CHANGED call")
    refused: int = Field(description="runs whose payload the draft refuses")
    incomplete: int = Field(description="runs the draft did not bring to an end")


class ShadowRunReport(WireModel):
    """``POST .../draft/shadow-runs``: nothing was written and no action was called,
    except pure actions that need no I/O (answer EXECUTED)."""

    workflow_id: uuid.UUID
    draft_hash: str = Field(description="the draft replayed (its ETag without quotes)")
    summary: ShadowSummary
    runs: list[ShadowRunPublic]
