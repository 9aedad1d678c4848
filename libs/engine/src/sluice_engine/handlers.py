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
from typing import Any

import asyncpg
from pydantic import JsonValue
from workflow_core.errors import RegistryError
from workflow_core.registry import StepFailedError


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


ActionFn = Callable[[ActionCall], Awaitable[JsonValue]]


class ActionFailedError(StepFailedError):
    """Raised by a handler to fail its invocation with a category and retryability.

    The same failure a compute node raises in the core (``StepFailedError``),
    under the name action handlers use."""

    def __init__(self, message: str, *, name: str = "ActionFailedError", **options: Any) -> None:
        super().__init__(message, name=name, **options)


@dataclass(frozen=True)
class HandlerEntry:
    fn: ActionFn
    transactional: bool = False


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

    def freeze(self) -> ActionHandlers:
        self.frozen = True
        return self
