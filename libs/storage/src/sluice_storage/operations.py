"""Operations: background work over many runs (bulk controls, exports), in batches.

An operation's runs are fixed when it is created: one ``operation_items`` row per
run, numbered in order (from a list of run ids, or from the run list's filter
evaluated then). A worker leases the operation (``claim_operation``: several
workers and replicas are safe, and a dead worker's lease runs out so another
takes over), then takes its PENDING items a batch at a time. Each item is done in
its own transaction that also holds what it does to the run: ``lock_item`` locks
the item row (SKIP LOCKED) and returns it only while it is not done,
``finish_item`` records the outcome and counts it on the operation. So however
workers crash or overlap, every item is done exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from sluice_storage.pagination import Keyset, Page, fetch_page
from sluice_storage.pool import rows_affected
from sluice_storage.runs import RunFilter, filter_sql
from sluice_storage.tenancy import TenantScoped

OPERATION_COLUMNS = """tenant_id, operation_id, kind, action, status, subject, role, reason,
    params, total, done, succeeded, failed, created_at, started_at, finished_at"""
ITEM_COLUMNS = """operation_id, seq, run_id, done, ok, code, detail, run_status,
    result_run_id, done_at"""
NEWEST_FIRST = Keyset("operations", "created_at", "operation_id", descending=True)
IN_ORDER = Keyset("operation-items", "seq", "run_id", descending=False)
DOCUMENTS = Keyset("operation-documents", "seq", "run_id", descending=False)


class TooManyRunsError(ValueError):
    """The filter matches more runs than one operation may touch."""

    def __init__(self, matched: int, limit: int) -> None:
        super().__init__(
            f"the filter matches more than {limit} runs (at least {matched}); one operation "
            "touches at most that many: narrow the filter (from/to, status, workflowId)"
        )


@dataclass(frozen=True)
class Operation:
    tenant_id: str
    operation_id: uuid.UUID
    kind: str  # bulk | export
    action: str  # cancel | resume | retry | replay | export
    status: str  # PENDING | RUNNING | COMPLETED
    subject: str
    role: str
    reason: str | None
    params: dict[str, Any]
    total: int
    done: int
    succeeded: int
    failed: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class NewOperation:
    kind: str
    action: str
    subject: str
    role: str
    reason: str | None
    params: dict[str, Any]
    # (owner, until): created RUNNING and leased, for a caller that works it itself
    lease: tuple[str, datetime] | None = None


@dataclass(frozen=True)
class OperationItem:
    operation_id: uuid.UUID
    seq: int
    run_id: uuid.UUID
    done: bool
    ok: bool | None
    code: str | None
    detail: str | None
    run_status: str | None
    result_run_id: uuid.UUID | None
    done_at: datetime | None


@dataclass(frozen=True)
class ItemOutcome:
    ok: bool
    code: str | None = None
    detail: str | None = None
    run_status: str | None = None
    result_run_id: uuid.UUID | None = None
    document: dict[str, Any] | None = None


def _operation(row: asyncpg.Record) -> Operation:
    return Operation(**dict(row))


def _item(row: asyncpg.Record) -> OperationItem:
    return OperationItem(**dict(row))


class OperationRepository(TenantScoped):
    async def count_by_status(self, flt: RunFilter) -> dict[str, int]:
        """Runs the filter matches, per status (a dry run's answer)."""
        where, args = filter_sql(self.tenant_id, flt)
        rows = await self.conn.fetch(
            f"SELECT status, count(*) AS n FROM workflow_runs WHERE {where} GROUP BY status", *args
        )
        return {row["status"]: row["n"] for row in rows}

    async def statuses_of(self, run_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await self.conn.fetch(
            "SELECT run_id, status FROM workflow_runs WHERE tenant_id = $1 AND run_id = ANY($2)",
            self.tenant_id, run_ids,
        )  # fmt: skip
        return {row["run_id"]: row["status"] for row in rows}

    async def create_for_runs(
        self, new: NewOperation, run_ids: list[uuid.UUID], *, now: datetime
    ) -> Operation:
        """An operation over ``run_ids`` in the order given (each once)."""
        unique = list(dict.fromkeys(run_ids))
        operation = await self._insert(new, len(unique), now)
        await self.conn.execute(
            """INSERT INTO operation_items (tenant_id, operation_id, seq, run_id)
               SELECT $1, $2, n, run_id FROM unnest($3::uuid[]) WITH ORDINALITY AS x(run_id, n)""",
            self.tenant_id, operation.operation_id, unique,
        )  # fmt: skip
        return operation

    async def create_for_filter(
        self, new: NewOperation, flt: RunFilter, *, now: datetime, limit: int
    ) -> Operation:
        """An operation over the runs ``flt`` matches now, in the list's order; at most
        ``limit`` (``TooManyRunsError`` beyond: nothing is written, the caller rolls back)."""
        operation = await self._insert(new, 0, now)
        where, args = filter_sql(self.tenant_id, flt)
        order = "DESC" if flt.newest_first else "ASC"
        n = len(args)
        inserted = rows_affected(await self.conn.execute(
            f"""INSERT INTO operation_items (tenant_id, operation_id, seq, run_id)
                SELECT ${n + 1}, ${n + 2},
                       row_number() OVER (ORDER BY started_at {order}, run_id {order}), run_id
                FROM (SELECT run_id, started_at FROM workflow_runs WHERE {where}
                      ORDER BY started_at {order}, run_id {order} LIMIT ${n + 3}) matched""",
            *args, self.tenant_id, operation.operation_id, limit + 1,
        ))  # fmt: skip
        if inserted > limit:
            raise TooManyRunsError(inserted, limit)
        row = await self.conn.fetchrow(
            f"""UPDATE operations SET total = $3 WHERE tenant_id = $1 AND operation_id = $2
                RETURNING {OPERATION_COLUMNS}""",
            self.tenant_id, operation.operation_id, inserted,
        )  # fmt: skip
        return _operation(row)

    async def _insert(self, new: NewOperation, total: int, now: datetime) -> Operation:
        row = await self.conn.fetchrow(
            f"""INSERT INTO operations (tenant_id, operation_id, kind, action, status, subject,
                  role, reason, params, total, created_at, started_at, lease_owner,
                  lease_expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                RETURNING {OPERATION_COLUMNS}""",
            self.tenant_id, uuid.uuid4(), new.kind, new.action,
            "PENDING" if new.lease is None else "RUNNING", new.subject, new.role, new.reason,
            new.params, total, now, None if new.lease is None else now,
            *(new.lease or (None, None)),
        )  # fmt: skip
        return _operation(row)

    async def get(self, kind: str, operation_id: uuid.UUID) -> Operation | None:
        row = await self.conn.fetchrow(
            f"""SELECT {OPERATION_COLUMNS} FROM operations
                WHERE tenant_id = $1 AND kind = $2 AND operation_id = $3""",
            self.tenant_id, kind, operation_id,
        )  # fmt: skip
        return _operation(row) if row else None

    async def list_operations(
        self, kind: str, *, cursor: str | None = None, limit: int | None = None
    ) -> Page[Operation]:
        sql = f"SELECT {OPERATION_COLUMNS} FROM operations WHERE tenant_id = $1 AND kind = $2"
        return await fetch_page(
            self.conn, NEWEST_FIRST, sql, [self.tenant_id, kind], cursor=cursor, limit=limit,
            to_item=_operation,
        )  # fmt: skip

    async def items(
        self, operation_id: uuid.UUID, *, ok: bool | None = None, cursor: str | None = None,
        limit: int | None = None,
    ) -> Page[OperationItem]:  # fmt: skip
        """Per-run outcomes in order; ``ok``: only the done ones that succeeded (True) or
        failed (False)."""
        sql = f"""SELECT {ITEM_COLUMNS} FROM operation_items
                  WHERE tenant_id = $1 AND operation_id = $2"""
        args: list[Any] = [self.tenant_id, operation_id]
        if ok is not None:
            sql += " AND done AND ok = $3"
            args.append(ok)
        return await fetch_page(
            self.conn, IN_ORDER, sql, args, cursor=cursor, limit=limit, to_item=_item
        )

    async def documents(
        self, operation_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> Page[dict[str, Any]]:
        """An export's lines in order (runs that could not be exported have none)."""
        sql = """SELECT seq, run_id, document FROM operation_items
                 WHERE tenant_id = $1 AND operation_id = $2 AND document IS NOT NULL"""
        return await fetch_page(
            self.conn, DOCUMENTS, sql, [self.tenant_id, operation_id], cursor=cursor,
            limit=limit, to_item=lambda row: dict(row["document"]),
        )  # fmt: skip

    async def pending_items(self, operation_id: uuid.UUID, limit: int) -> list[OperationItem]:
        rows = await self.conn.fetch(
            f"""SELECT {ITEM_COLUMNS} FROM operation_items
                WHERE tenant_id = $1 AND operation_id = $2 AND NOT done ORDER BY seq LIMIT $3""",
            self.tenant_id, operation_id, limit,
        )  # fmt: skip
        return [_item(r) for r in rows]

    async def lock_item(self, operation_id: uuid.UUID, seq: int) -> OperationItem | None:
        """The item, row-locked, if it is not done and no other worker holds it."""
        row = await self.conn.fetchrow(
            f"""SELECT {ITEM_COLUMNS} FROM operation_items
                WHERE tenant_id = $1 AND operation_id = $2 AND seq = $3 AND NOT done
                FOR UPDATE SKIP LOCKED""",
            self.tenant_id, operation_id, seq,
        )  # fmt: skip
        return _item(row) if row else None

    async def finish_item(
        self, item: OperationItem, outcome: ItemOutcome, *, now: datetime
    ) -> None:
        """Record a locked item's outcome and count it on its operation."""
        await self.conn.execute(
            """UPDATE operation_items SET done = true, ok = $4, code = $5, detail = $6,
                 run_status = $7, result_run_id = $8, document = $9, done_at = $10
               WHERE tenant_id = $1 AND operation_id = $2 AND seq = $3""",
            self.tenant_id, item.operation_id, item.seq, outcome.ok, outcome.code,
            outcome.detail, outcome.run_status, outcome.result_run_id, outcome.document, now,
        )  # fmt: skip
        await self.conn.execute(
            """UPDATE operations SET done = done + 1, succeeded = succeeded + $3::int,
                 failed = failed + (1 - $3::int)
               WHERE tenant_id = $1 AND operation_id = $2""",
            self.tenant_id, item.operation_id, int(outcome.ok),
        )  # fmt: skip

    async def complete(self, operation_id: uuid.UUID, *, now: datetime) -> bool:
        """COMPLETED once no item is left (False while one is)."""
        result: str = await self.conn.execute(
            """UPDATE operations SET status = 'COMPLETED', finished_at = $3, lease_owner = NULL,
                 lease_expires_at = NULL
               WHERE tenant_id = $1 AND operation_id = $2 AND status <> 'COMPLETED'
                 AND NOT EXISTS (SELECT 1 FROM operation_items i WHERE i.tenant_id = $1
                                 AND i.operation_id = $2 AND NOT i.done)""",
            self.tenant_id, operation_id, now,
        )  # fmt: skip
        return rows_affected(result) > 0

    async def renew(self, operation_id: uuid.UUID, owner: str, until: datetime) -> bool:
        """Extend ``owner``'s lease; False when another worker has taken it over."""
        result: str = await self.conn.execute(
            """UPDATE operations SET lease_expires_at = $4
               WHERE tenant_id = $1 AND operation_id = $2 AND lease_owner = $3""",
            self.tenant_id, operation_id, owner, until,
        )  # fmt: skip
        return rows_affected(result) > 0


async def claim_operation(
    conn: asyncpg.Connection, owner: str, now: datetime, lease: timedelta
) -> Operation | None:
    """Lease the oldest unfinished operation nobody holds (all tenants): PENDING, or
    RUNNING under a lease that ran out (its worker died)."""
    row = await conn.fetchrow(
        f"""UPDATE operations o SET status = 'RUNNING', lease_owner = $1,
              lease_expires_at = $2, started_at = COALESCE(o.started_at, $3)
            FROM (SELECT tenant_id, operation_id FROM operations
                  WHERE status <> 'COMPLETED'
                    AND (lease_expires_at IS NULL OR lease_expires_at < $3)
                  ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) due
            WHERE o.tenant_id = due.tenant_id AND o.operation_id = due.operation_id
            RETURNING {", ".join("o." + c.strip() for c in OPERATION_COLUMNS.split(","))}""",
        owner, now + lease, now,
    )  # fmt: skip
    return _operation(row) if row else None
