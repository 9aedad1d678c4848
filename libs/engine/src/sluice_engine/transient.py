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

Anything else is the message's or the code's fault and is not retried in place.
"""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaError

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # TimeoutError and every socket error included
    asyncpg.InterfaceError,  # the connection is gone or unusable
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    KafkaError,
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT_ERRORS)
