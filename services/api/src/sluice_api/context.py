"""What the app holds while it runs: built in the lifespan, read through ``deps``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
from sluice_config import Settings
from sluice_config.clock import Clock
from sluice_engine import ActionHandlers, EngineContext, StartBatcher
from sluice_http.rate_limit import Rate, TokenBuckets
from sluice_messaging.topics import Topics
from sluice_secrets import SecretCipher, optional_cipher
from sluice_storage import transaction
from workflow_core.registry import Registry

from sluice_api.live import RunUpdateHub
from sluice_api.metrics import ApiMetrics


@dataclass
class ApiContext:
    settings: Settings
    registry: Registry
    clock: Clock
    metrics: ApiMetrics
    topics: Topics
    engine: EngineContext
    handlers: ActionHandlers  # the plugins' handlers; the API calls only pure I/O-free ones
    pool: asyncpg.Pool | None = None
    # Set when a request created an operation: this replica's worker starts it at once.
    operations_wake: asyncio.Event = field(default_factory=asyncio.Event)
    rate_limits: TokenBuckets = field(init=False)
    _starts: StartBatcher | None = field(default=None, repr=False)
    _live: RunUpdateHub | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        s = self.settings
        burst = s.api_rate_burst_s
        tenants = {tenant: Rate(per_s, burst) for tenant, per_s in s.api_rate_tenants.items()}
        self.rate_limits = TokenBuckets(Rate(s.api_rate_per_s, burst), tenants)

    @property
    def webhook_sealer(self) -> SecretCipher | None:
        """Seals new webhook secrets (and opens them) when WF_SECRETS_KEY is set."""
        return optional_cipher(self.settings)

    def starts(self) -> StartBatcher:
        """Run starts without an Idempotency-Key: concurrent ones share a transaction."""
        if self.pool is None:
            raise RuntimeError("the database pool is not open (the app's lifespan is not running)")
        if self._starts is None or self._starts.pool is not self.pool:
            self._starts = StartBatcher(self.pool, self.engine)
        return self._starts

    def live(self) -> RunUpdateHub | None:
        """The process's one reader of ``wf.run-updates`` (None without Kafka settings);
        it connects on the first subscription."""
        servers = self.settings.kafka_bootstrap_servers
        if self._live is None and servers:
            self._live = RunUpdateHub(servers, self.topics.run_updates)
        return self._live

    async def close(self) -> None:
        if self._live is not None:
            await self._live.stop()

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[asyncpg.Connection]:
        """One request's transaction: commit on success, roll back on any error."""
        if self.pool is None:
            raise RuntimeError("the database pool is not open (the app's lifespan is not running)")
        async with transaction(self.pool) as conn:
            yield conn
