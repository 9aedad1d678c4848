"""The service side of actions: handler table, what a handler receives, how it fails.

The core keeps each action's contract (``ActionSpec``); the services own the
code that runs it. Plugins register handlers here by ``(action id, version)``.
A transactional handler (its effects live in Sluice's PostgreSQL) receives the
connection of the transaction that also marks its invocation SUCCEEDED, so
its effect and its record commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import asyncpg
from pydantic import JsonValue
from sluice_secrets import SecretResolver
from workflow_core.errors import RegistryError
from workflow_core.registry import StepFailedError


@dataclass(frozen=True)
class ActionServices:
    """What a handler may use besides its args, built once per process from the settings.

    - ``secrets``: the ``secretRef`` resolver (SPEC 15); handlers resolve right before
      use and keep the values out of what they return (``sluice_secrets``).
    - ``private_networks``: per tenant, the CIDRs its outbound calls may reach although
      the SSRF guard refuses private addresses (``WF_HTTP_ALLOW_NETWORKS``).
    """

    secrets: SecretResolver = field(default_factory=SecretResolver)
    private_networks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionCall:
    """One invocation as its handler sees it; the tenant comes from the run, never the args."""

    tenant_id: str
    run_id: str
    step_id: str
    action_id: str
    version: int
    idempotency_key: str
    attempt: int
    args: Mapping[str, JsonValue]
    conn: asyncpg.Connection | None = None  # only for transactional handlers
    services: ActionServices = field(default_factory=ActionServices)


ActionFn = Callable[[ActionCall], Awaitable[JsonValue]]


class ActionFailedError(StepFailedError):
    """Raised by a handler to fail its invocation with a category and retryability.

    The same failure a compute node raises in the core (``StepFailedError``),
    under the name action handlers use."""

    def __init__(self, message: str, *, name: str = "ActionFailedError", **options: Any) -> None:
        super().__init__(message, name=name, **options)


class ActionMode(StrEnum):
    """How an action request is executed: data, decided in ONE place (``mode_of``).

    - ``INLINE``: a pure action (the core's ``side_effectful=False``) whose handler this
      process holds runs while its run advances, in that transaction (a transactional
      handler inside a savepoint), and its answer is applied at once: no Kafka hop, no
      job (``sluice_engine.inline``).
    - ``TRANSACTIONAL``: effects in Sluice's PostgreSQL: the handler runs on the
      connection of the transaction that records its invocation, so effect and record
      commit together; such requests are batched, one transaction per group
      (``executor_batch``: the fast path without job rows, or a group of leased jobs).
    - ``LEASED``: anything else (SMTP, HTTP, no handler at all): a leased job, its
      invocation claimed with a lease, the handler run apart with bounded concurrency
      (``executor.execute_job``).
    """

    INLINE = "inline"
    TRANSACTIONAL = "transactional"
    LEASED = "leased"


@dataclass(frozen=True)
class HandlerEntry:
    fn: ActionFn
    transactional: bool = False


def mode_of(entry: HandlerEntry | None, *, side_effectful: bool = True) -> ActionMode:
    """The mode a request with this handler runs in (no handler: ``LEASED``, where the
    job records ``NO_ACTION_HANDLER``)."""
    if entry is None:
        return ActionMode.LEASED
    if not side_effectful:
        return ActionMode.INLINE
    return ActionMode.TRANSACTIONAL if entry.transactional else ActionMode.LEASED


@dataclass
class ActionHandlers:
    """``(action id, version) -> handler``, frozen after start-up like the registry."""

    entries: dict[tuple[str, int], HandlerEntry] = field(default_factory=dict)
    frozen: bool = False

    def register(
        self, action_id: str, version: int, fn: ActionFn, *, transactional: bool = False
    ) -> None:
        if self.frozen:
            raise RegistryError(f"action handlers are frozen; cannot register {action_id!r}")
        if (action_id, version) in self.entries:
            raise RegistryError(f"a handler for {action_id!r} v{version} is already registered")
        self.entries[(action_id, version)] = HandlerEntry(fn, transactional)

    def get(self, action_id: str, version: int) -> HandlerEntry | None:
        return self.entries.get((action_id, version))

    def mode(self, action_id: str, version: int, *, side_effectful: bool = True) -> ActionMode:
        return mode_of(self.get(action_id, version), side_effectful=side_effectful)

    def freeze(self) -> ActionHandlers:
        self.frozen = True
        return self
