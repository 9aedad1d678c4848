"""The core's history effects as rows of the run writer (``sluice_storage.RunWrites``).

Step attempts are recorded under their deterministic identity (step, loop
indexes, attempt), so a replayed or redelivered transition upserts the same
row; snapshots and log lines are appended. The writer sends them with the
run's update in one statement at the flush.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sluice_storage import RunWrites
from workflow_core.interpreter.effects import AppendLog, RecordStepAttempt, WriteSnapshot
from workflow_core.interpreter.ids import loop_key


def attempt_id(effect: RecordStepAttempt) -> str:
    return f"{effect.step_id}#{loop_key(effect.loop_indexes)}#{effect.attempt}"


def record_step(writes: RunWrites, run_id: uuid.UUID, e: RecordStepAttempt) -> None:
    error = e.error.model_dump(mode="json", by_alias=True) if e.error else None
    writes.step(
        run_id, attempt_id(e), step_id=e.step_id, node_path=e.node_path, attempt=e.attempt,
        status=e.status.value, started_at=e.started_at, finished_at=e.finished_at,
        duration_ms=e.duration_ms, error=error,
    )  # fmt: skip


def record_snapshot(writes: RunWrites, run_id: uuid.UUID, e: WriteSnapshot) -> None:
    writes.snapshot(run_id, node_path=e.node_path, step_id=e.step_id, at=e.at,
                    envelope=e.envelope)  # fmt: skip


def record_log(writes: RunWrites, run_id: uuid.UUID, e: AppendLog, at: datetime) -> None:
    writes.log(run_id, at=at, level=e.level.upper(), message=e.message, node_path=e.node_path,
               data=dict(e.data))  # fmt: skip
