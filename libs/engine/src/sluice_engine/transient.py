"""The one rule for transient trouble: what is retried instead of failing for good.

A transient error says nothing about the message or the request: the database
or Kafka is briefly away (a restart, a dropped connection, a deadlock or
serialization failure PostgreSQL asks us to retry, too many connections).
Every caller applies the same rule:

- the interpreter's agents retry the message in place instead of
  dead-lettering it (``sluice_interpreter.handling.retrying``);
- the executor records a handler's transient failure as a retryable
  ``TRANSIENT`` error (``executor.classify``), so the step's retry policy decides;
- the scheduler logs it and polls again;
- the API and ingest answer ``503 UNAVAILABLE`` with ``Retry-After``
  (``sluice_http.problems``), never 500: a client cannot tell a 500 from a bug.

Outside systems are judged by the same rule: a network error or timeout talking
to them (``OSError``, httpx's transport timeouts and network errors), or their
own "try again later" (an HTTP 5xx, 408 or 429, a busy SMTP server), which a
handler reports by raising ``RetryLaterError`` with the delay the other side
asked for (``Retry-After``); the executor carries it as ``retryAfterMs`` and the
core waits at least that long before the retry.

Anything else is the message's or the code's fault and is not retried in place.
``transient_cause`` also finds the rule's errors behind a wrapper (an error
raised ``from`` one, an exception group); ``dependency_of`` names the
dependency that is away, for messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import TracebackType

import asyncpg
import httpx
from aiokafka.errors import KafkaError
from pydantic import JsonValue


class RetryLaterError(Exception):
    """An outside system said "not now" (HTTP 5xx/408/429): transient, after ``retry_after``."""

    def __init__(
        self, message: str, *, name: str = "RetryLaterError",
        retry_after: timedelta | None = None, data: Mapping[str, JsonValue] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.name = name
        self.retry_after = retry_after
        self.data: dict[str, JsonValue] = dict(data or {})


TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # TimeoutError (a pool acquire or connect timing out), every socket error
    asyncpg.InterfaceError,  # the connection is gone or unusable
    # "cannot switch to state 15; another operation (2) is in progress": a pooled
    # connection whose backend was terminated read the server's FATAL message and
    # waits for a ReadyForQuery that never comes (seen under pg_terminate_backend).
    asyncpg.exceptions.InternalClientError,
    # SQLSTATE class 08: the connection was lost mid-request ("connection was closed
    # in the middle of operation", ConnectionDoesNotExistError), refused, failed.
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.CannotConnectNowError,  # starting up, shutting down, recovering
    asyncpg.exceptions.AdminShutdownError,  # pg_terminate_backend, a fast shutdown
    asyncpg.exceptions.CrashShutdownError,  # another backend crashed: all are reset
    asyncpg.exceptions.TooManyConnectionsError,
    KafkaError,
    # Outbound HTTP: timeouts (connect, read, write, pool), refused or reset
    # connections, a server that hung up mid-response. Not httpx's protocol misuse
    # (UnsupportedProtocol, LocalProtocolError): those are our request's fault.
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    RetryLaterError,
)
POSTGRESQL = "PostgreSQL"
KAFKA = "Kafka"
OUTSIDE = "An outside service"
_MAX_DEPTH = 16  # a cause chain longer than this is not ours to walk


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT_ERRORS)


def transient_cause(exc: BaseException) -> BaseException | None:
    """``exc`` or the first error behind it (``__cause__``/``__context__``, inside an
    exception group) that the rule calls transient; None when there is none."""
    todo, seen = [exc], 0
    while todo and seen < _MAX_DEPTH:
        current = todo.pop(0)
        seen += 1
        if is_transient(current):
            return current
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None


def dependency_of(exc: BaseException) -> str | None:
    """Which dependency a transient error is about: ``PostgreSQL``, ``Kafka``, an
    outside service (HTTP), or None when it cannot tell (a bare socket error raised
    outside these clients)."""
    if isinstance(
        exc, (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)
    ):
        return POSTGRESQL
    if isinstance(exc, KafkaError):
        return KAFKA
    if isinstance(exc, (httpx.HTTPError, RetryLaterError)):
        return OUTSIDE
    return _client_in(exc.__traceback__)


def _client_in(tb: TracebackType | None) -> str | None:
    """The client library deepest in a traceback (where a socket error was raised)."""
    found = None
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.startswith("asyncpg"):
            found = POSTGRESQL
        elif module.startswith("aiokafka"):
            found = KAFKA
        elif module.startswith(("httpx", "httpcore")):
            found = OUTSIDE
        tb = tb.tb_next
    return found
