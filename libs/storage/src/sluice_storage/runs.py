"""Runs: reading them (one, a locked one, lists) and the records a run write takes.

Writes go through ``sluice_storage.run_writes``, the one module that writes
``workflow_runs`` and ``applied_commands`` (fenced by ``seq``: see there).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from sluice_storage.errors import StorageError
from sluice_storage.pagination import Keyset, Page, fetch_page, where_clause
from sluice_storage.tenancy import TenantScoped

RUN_COLUMNS = """tenant_id, run_id, workflow_id, workflow_version, status, node_path, state,
    run_state, seq, parent_run_id, root_run_id, call_depth, payload, error, trigger_event_id,
    event_name, correlation_key, started_at, updated_at, completed_at, last_progress_at,
    concurrency_key"""
NEWEST_FIRST = Keyset("runs", "started_at", "run_id", descending=True)
OLDEST_FIRST = Keyset("runs-asc", "started_at", "run_id", descending=False)


class StaleRunError(StorageError):
    """A save based on an outdated ``seq``: another instance advanced the run."""

    code = "STALE_RUN"


@dataclass(frozen=True)
class RunRecord:
    tenant_id: str
    run_id: uuid.UUID
    workflow_id: uuid.UUID
    workflow_version: int
    status: str
    node_path: str
    state: str | None
    run_state: dict[str, Any]
    seq: int
    parent_run_id: uuid.UUID | None
    root_run_id: uuid.UUID | None
    call_depth: int
    payload: dict[str, Any]
    error: dict[str, Any] | None
    trigger_event_id: uuid.UUID | None
    event_name: str | None
    correlation_key: str | None
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    last_progress_at: datetime
    # The key its workflow's concurrency limit counts it under ('' = the whole
    # workflow); None when the workflow has no limit.
    concurrency_key: str | None = None


@dataclass(frozen=True)
class NewRun:
    run_id: uuid.UUID
    workflow_id: uuid.UUID
    workflow_version: int
    payload: dict[str, Any]
    started_at: datetime
    run_state: dict[str, Any] = field(default_factory=dict)
    parent_run_id: uuid.UUID | None = None
    root_run_id: uuid.UUID | None = None
    call_depth: int = 0
    trigger_event_id: uuid.UUID | None = None
    event_name: str | None = None
    correlation_key: str | None = None
    concurrency_key: str | None = None


@dataclass(frozen=True)
class RunUpdate:
    """What advancing a run changes (``now`` comes from the command)."""

    status: str
    node_path: str
    state: str | None
    run_state: dict[str, Any]
    now: datetime
    error: dict[str, Any] | None = None
    final: bool = False  # the status is final (RunStatus.final): ``completed_at`` is set


# How a run was started, derived from its row (an expression index matches this text:
# migration 0014): a child of another run, by an event (its trigger), or through the API
# (POST /workflow-runs, replay).
TRIGGER_SQL = (
    "(CASE WHEN parent_run_id IS NOT NULL THEN 'child' "
    "WHEN trigger_event_id IS NOT NULL THEN 'event' ELSE 'api' END)"
)
TRIGGERS = ("api", "event", "child")


@dataclass(frozen=True)
class RunFilter:
    """The run list's filters; every one has an index in list order (migrations 0002,
    0014). ``search`` is a run id (exact) or else a correlation key (exact)."""

    statuses: tuple[str, ...] = ()
    workflow_id: uuid.UUID | None = None
    version: int | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    triggers: tuple[str, ...] = ()
    search: str | None = None
    newest_first: bool = True


def _run(record: asyncpg.Record) -> RunRecord:
    return RunRecord(**dict(record))


def _as_run_id(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def filter_sql(tenant_id: str, flt: RunFilter) -> tuple[str, list[Any]]:
    """The WHERE clause of ``flt`` (also the summary's: it ignores ``statuses``)."""
    if unknown := set(flt.triggers) - set(TRIGGERS):
        raise ValueError(f"unknown trigger {sorted(unknown)[0]!r}; one of {', '.join(TRIGGERS)}")
    search = flt.search.strip() if flt.search else None
    run_id = _as_run_id(search)
    return where_clause(tenant_id, [
        ("status = ANY(${})", list(flt.statuses) or None),
        ("workflow_id = ${}", flt.workflow_id),
        ("workflow_version = ${}", flt.version),
        ("started_at >= ${}", flt.started_from),
        ("started_at < ${}", flt.started_to),
        (TRIGGER_SQL + " = ANY(${})", list(flt.triggers) or None),
        ("run_id = ${}", run_id),
        ("correlation_key = ${}", search if run_id is None else None),
    ])  # fmt: skip


class RunRepository(TenantScoped):
    async def get(self, run_id: uuid.UUID) -> RunRecord | None:
        row = await self.conn.fetchrow(
            f"SELECT {RUN_COLUMNS} FROM workflow_runs WHERE tenant_id = $1 AND run_id = $2",
            self.tenant_id,
            run_id,
        )
        return _run(row) if row else None

    async def lock(self, run_id: uuid.UUID) -> RunRecord | None:
        """The run, row-locked until the transaction ends (the single-writer point)."""
        row = await self.conn.fetchrow(
            f"""SELECT {RUN_COLUMNS} FROM workflow_runs
                WHERE tenant_id = $1 AND run_id = $2 FOR UPDATE""",
            self.tenant_id,
            run_id,
        )
        return _run(row) if row else None

    async def get_many(self, run_ids: Sequence[uuid.UUID]) -> list[RunRecord]:
        rows = await self.conn.fetch(
            f"""SELECT {RUN_COLUMNS} FROM workflow_runs
                WHERE tenant_id = $1 AND run_id = ANY($2::uuid[])""",
            self.tenant_id,
            list(run_ids),
        )
        return [_run(r) for r in rows]

    async def list_runs(
        self, flt: RunFilter = RunFilter(), *, cursor: str | None = None, limit: int | None = None
    ) -> Page[RunRecord]:
        where, args = filter_sql(self.tenant_id, flt)
        keyset = NEWEST_FIRST if flt.newest_first else OLDEST_FIRST
        sql = f"SELECT {RUN_COLUMNS} FROM workflow_runs WHERE {where}"
        return await fetch_page(
            self.conn, keyset, sql, args, cursor=cursor, limit=limit, to_item=_run
        )

    async def children(self, parent_run_id: uuid.UUID) -> list[RunRecord]:
        rows = await self.conn.fetch(
            f"""SELECT {RUN_COLUMNS} FROM workflow_runs
                WHERE tenant_id = $1 AND parent_run_id = $2 ORDER BY started_at, run_id""",
            self.tenant_id,
            parent_run_id,
        )
        return [_run(r) for r in rows]


async def find_stale_runs(
    conn: asyncpg.Connection, progress_before: datetime, limit: int = 100
) -> list[tuple[str, uuid.UUID]]:
    """``(tenant, run)`` of RUNNING runs with no progress since ``progress_before``,
    row-locked: call inside the transaction that re-drives them and restarts their
    idle clock (``mark_redriven``).

    Deliberately cross-tenant: the scheduler re-drives every tenant's runs.
    ``SKIP LOCKED``: a run another scheduler is re-driving right now (or an
    interpreter is advancing: it is making progress) is passed over, so two
    schedulers never send one idle run two ``Continue`` commands, not even when
    their clocks straddle a minute (the Continue id's bucket).
    """
    rows = await conn.fetch(
        """SELECT tenant_id, run_id FROM workflow_runs
           WHERE status = 'RUNNING' AND last_progress_at < $1
           ORDER BY last_progress_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        progress_before,
        limit,
    )
    return [(r["tenant_id"], r["run_id"]) for r in rows]
