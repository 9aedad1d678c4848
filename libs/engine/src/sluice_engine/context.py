"""What every engine operation needs besides a connection: registry, topics, caches."""

from __future__ import annotations

from dataclasses import dataclass, field

from sluice_config.clock import Clock, utc_now
from sluice_messaging.topics import Topics
from workflow_core.interpreter.context import DEFAULT_LIMITS, RunLimits
from workflow_core.registry import Registry

from sluice_engine.definitions import DefinitionCache
from sluice_engine.handlers import ActionHandlers, ActionServices
from sluice_engine.run_metrics import RunMetrics


@dataclass
class EngineContext:
    """Shared by the API and the interpreter; build one per process."""

    registry: Registry
    topics: Topics
    definitions: DefinitionCache = field(default_factory=DefinitionCache)
    limits: RunLimits = DEFAULT_LIMITS
    clock: Clock = utc_now
    # Publish a run-update message when a run ends (observers, live UI).
    publish_run_updates: bool = True
    # NOTIFY the outbox relay on commit. PostgreSQL serialises committing
    # transactions that NOTIFY (a global lock held through the WAL flush), so
    # under load this caps commits at ~1/fsync; relays that poll often instead
    # (WF_RELAY_POLL_S) cost one index probe per poll and lift that cap.
    notify_outbox: bool = True
    # Handlers of pure actions to run inline while advancing (None: all go to the
    # executor). The interpreter sets it; any process holding the handlers may.
    inline_handlers: ActionHandlers | None = None
    # Secrets and network policy handed to every handler (ActionCall.services).
    action_services: ActionServices = field(default_factory=ActionServices)
    # Run, step and action metrics of committed work (None: not counted here).
    metrics: RunMetrics | None = None
