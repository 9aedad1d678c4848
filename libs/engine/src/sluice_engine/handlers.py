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

import asyncpg
from pydantic import JsonValue
from workflow_core.errors import ErrorCategory, RegistryError, SluiceError


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


class ActionFailedError(SluiceError):
    """Raised by a handler to fail its invocation with a category and retryability."""

    def __init__(
        self,
        message: str,
        *,
        category: ErrorCategory = ErrorCategory.ACTION,
        name: str = "ActionFailedError",
        retryable: bool = False,
        data: Mapping[str, JsonValue] | None = None,
    ) -> None:
        super().__init__(message, code=name)
        self.category = category
        self.name = name
        self.retryable = retryable
        self.data = dict(data or {})


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
