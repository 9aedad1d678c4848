"""What the ingest app holds while it runs; the pool opens in the app's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
from fastapi import Request
from sluice_config import Settings
from sluice_config.clock import Clock, utc_now
from sluice_messaging.topics import Topics
from sluice_storage import transaction

from sluice_ingest.intake import EmailIntake
from sluice_ingest.metrics import IngestMetrics


@dataclass
class IngestContext:
    settings: Settings
    topics: Topics
    clock: Clock = utc_now
    metrics: IngestMetrics = field(default_factory=IngestMetrics)
    pool: asyncpg.Pool | None = None

    @property
    def intake(self) -> EmailIntake:
        """Email intake on this context's pool (raises until the lifespan opened it)."""
        if self.pool is None:
            raise RuntimeError("the database pool is not open (the app's lifespan is not running)")
        return EmailIntake(self.pool, self.topics, self.clock, self.settings.max_email_bytes)

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[asyncpg.Connection]:
        """One transaction on the pool (commit on success, roll back on error)."""
        if self.pool is None:
            raise RuntimeError("the database pool is not open (the app's lifespan is not running)")
        async with transaction(self.pool) as conn:
            yield conn


def get_context(request: Request) -> IngestContext:
    context: IngestContext = request.app.state.context
    return context
