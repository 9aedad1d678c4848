"""The one rule for transient trouble: what is retried instead of failing for good.

A transient error says nothing about the message or the request: the database
or Kafka is briefly away (a restart, a dropped connection, a deadlock or
serialization failure PostgreSQL asks us to retry, too many connections).
Every caller applies the same rule:

- the interpreter's agents retry the message in place instead of
  dead-lettering it (``sluice_interpreter.handling.retrying``);
- the executor records a handler's transient failure as a retryable
  ``TRANSIENT`` error (``executor.classify``), so the step's retry policy decides;
- the scheduler logs it and polls again.

Outside systems are judged by the same rule: a network error or timeout talking
to them (``OSError``, httpx's transport timeouts and network errors), or their
own "try again later" (an HTTP 5xx, 408 or 429, a busy SMTP server), which a
handler reports by raising ``RetryLaterError`` with the delay the other side
asked for (``Retry-After``); the executor carries it as ``retryAfterMs`` and the
core waits at least that long before the retry.

Anything else is the message's or the code's fault and is not retried in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

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


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # TimeoutError and every socket error included
    asyncpg.InterfaceError,  # the connection is gone or unusable
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
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


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT_ERRORS)
