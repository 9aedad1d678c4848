"""Sluice storage: PostgreSQL migrations, tenant-scoped repositories, the transactional outbox.

Every write to a run (its row, applied command ids, history) goes through
``run_writes``; every repository is built for one tenant (``RunRepository(conn, tenant_id)``)
and every query it runs filters by that tenant. The few cross-tenant
functions (``authenticate``, ``find_stale_runs``, ``claim_due_waits``, the
outbox relay) serve infrastructure and say so.
"""

from sluice_storage.audit import AuditEntry, AuditFilter, AuditRepository
from sluice_storage.dead_letters import (
    DeadLetterRecord,
    DeadLetterRepository,
    PgDeadLetterSink,
    mirror_dead_letter,
)
from sluice_storage.definitions import (
    DefinitionRecord,
    DefinitionRepository,
    DefinitionVersionRecord,
)
from sluice_storage.errors import InvalidCursorError, MigrationError, StorageError
from sluice_storage.events import EventFilter, EventRecord, EventRepository, NewEvent
from sluice_storage.migrations import status, upgrade
from sluice_storage.outbox import OutboxMessage, enqueue, enqueue_many, prune_sent
from sluice_storage.pagination import Page, clamp_limit
from sluice_storage.pool import after_commit, connect, create_pool, database_problem, transaction
from sluice_storage.run_writes import (
    DuplicateRunError,
    RunWrites,
    lock_and_record,
    lock_and_record_many,
    record_command,
)
from sluice_storage.runs import (
    NewRun,
    RunFilter,
    RunRecord,
    RunRepository,
    RunUpdate,
    StaleRunError,
    find_stale_runs,
)
from sluice_storage.tenancy import ensure_tenant
from sluice_storage.tokens import ApiToken, IssuedToken, TokenRepository, authenticate
from sluice_storage.waits import NewWait, WaitRecord, WaitRepository, claim_due_waits

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AuditFilter",
    "AuditRepository",
    "DeadLetterRecord",
    "DeadLetterRepository",
    "DefinitionRecord",
    "DefinitionRepository",
    "DefinitionVersionRecord",
    "DuplicateRunError",
    "EventFilter",
    "EventRecord",
    "EventRepository",
    "InvalidCursorError",
    "IssuedToken",
    "MigrationError",
    "NewEvent",
    "NewRun",
    "NewWait",
    "OutboxMessage",
    "Page",
    "PgDeadLetterSink",
    "RunFilter",
    "RunRecord",
    "RunRepository",
    "RunUpdate",
    "RunWrites",
    "StaleRunError",
    "StorageError",
    "TokenRepository",
    "WaitRecord",
    "WaitRepository",
    "after_commit",
    "authenticate",
    "claim_due_waits",
    "clamp_limit",
    "connect",
    "create_pool",
    "database_problem",
    "enqueue",
    "enqueue_many",
    "ensure_tenant",
    "find_stale_runs",
    "lock_and_record",
    "lock_and_record_many",
    "mirror_dead_letter",
    "prune_sent",
    "record_command",
    "status",
    "transaction",
    "upgrade",
]
