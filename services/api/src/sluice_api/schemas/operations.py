"""Operations on the wire: bulk controls, exports, their progress and per-run outcomes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import Field, model_validator
from sluice_storage import RunFilter

from sluice_api.schemas.common import INT_MAX, Instant, OperatorRequest, WireModel
from sluice_api.schemas.runs import ReplayEdits, RetryEdits, RunStatusName, RunTrigger

# Run ids one request may list (a filter reaches further): 10,000 uuids are ~400 KB of
# JSON, well inside the 4 MiB body cap.
MAX_RUN_IDS = 10_000


class RunListFilter(WireModel):
    """The run list's filters (``GET /workflow-runs``) as a body; all optional."""

    status: list[RunStatusName] | None = Field(default=None, max_length=5)
    workflow_id: uuid.UUID | None = None
    version: int | None = Field(default=None, ge=1, le=INT_MAX, strict=True)
    started_from: Instant | None = Field(
        default=None, alias="from", description="runs started at or after"
    )
    started_to: Instant | None = Field(default=None, alias="to", description="runs started before")
    trigger: list[RunTrigger] | None = Field(default=None, max_length=3)
    q: str | None = Field(
        default=None, max_length=500, description="a run id, or else a correlation key (exact)"
    )

    def run_filter(self, statuses: tuple[str, ...] | None = None) -> RunFilter:
        """The storage filter; ``statuses`` (when given) replaces the body's."""
        asked = tuple(s.value for s in self.status or ())
        return RunFilter(
            statuses=statuses if statuses is not None else asked,
            workflow_id=self.workflow_id, version=self.version, started_from=self.started_from,
            started_to=self.started_to, triggers=tuple(t.value for t in self.trigger or ()),
            search=self.q, newest_first=False,
        )  # fmt: skip


class BulkAction(StrEnum):
    CANCEL = "cancel"
    RESUME = "resume"
    RETRY = "retry"
    REPLAY = "replay"


class BulkControlRequest(OperatorRequest):
    """One control, one reason, up to 100 runs, done before the answer (the console's
    bulk select); larger sets: ``POST /workflow-runs/bulk/{action}``."""

    action: BulkAction
    run_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class BulkControlResult(WireModel):
    run_id: uuid.UUID
    ok: bool
    status: str | None = Field(default=None, description="the run's status afterwards")
    code: str | None = Field(default=None, description="the problem's code when not ok")
    detail: str | None = None


class BulkControlPublic(WireModel):
    succeeded: int
    failed: int
    results: list[BulkControlResult]
    operation_id: uuid.UUID | None = Field(
        default=None, description="the operation it ran as (GET /bulk-operations/{id})"
    )


class BulkTarget(OperatorRequest):
    """Which runs: ``runIds`` or the run list's ``filter`` (exactly one of them)."""

    run_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=MAX_RUN_IDS)
    filter: RunListFilter | None = Field(
        default=None, description="the runs it matches now whose status the action applies to"
    )
    dry_run: bool = Field(
        default=False, description="only count the runs it would touch, per status; do nothing"
    )

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.run_ids is None) == (self.filter is None):
            raise ValueError("give either runIds or filter (exactly one of them)")
        return self


class BulkCancelRequest(BulkTarget):
    pass


class BulkResumeRequest(BulkTarget):
    payload: Any = Field(default=None, description="event payload or task output, for every run")


class BulkRetryRequest(BulkTarget, RetryEdits):
    pass


class BulkReplayRequest(BulkTarget, ReplayEdits):
    pass


class BulkDryRunPublic(WireModel):
    """What the operation would do, done nothing."""

    action: BulkAction
    total: int = Field(description="runs it would touch")
    by_status: dict[str, int] = Field(description="the runs it would touch, per status now")
    not_found: int = Field(default=0, description="listed run ids that do not exist")
    applies_to: list[RunStatusName] = Field(description="the statuses the action applies to")


class OperationStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"


class OperationPublic(WireModel):
    """A bulk operation or an export: its request, progress and counts."""

    operation_id: uuid.UUID
    kind: str = Field(description="bulk or export")
    action: str = Field(description="cancel, resume, retry, replay or export")
    status: OperationStatus
    reason: str | None = None
    created_by: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    total: int = Field(description="runs it touches (fixed when it was created)")
    done: int
    succeeded: int
    failed: int
    request: dict[str, Any] = Field(description="what was asked: runIds or filter, edits")


class OperationItemPublic(WireModel):
    """One run's outcome in an operation (in the operation's order)."""

    seq: int
    run_id: uuid.UUID
    done: bool
    ok: bool | None = None
    code: str | None = Field(default=None, description="the problem's code when not ok")
    detail: str | None = None
    run_status: str | None = Field(default=None, description="the run's status afterwards")
    result_run_id: uuid.UUID | None = Field(default=None, description="a replay's new run")
    done_at: datetime | None = None


class ExportCreate(WireModel):
    filter: RunListFilter = Field(default_factory=RunListFilter)
    reason: str | None = Field(default=None, max_length=2000, description="why (audited)")
