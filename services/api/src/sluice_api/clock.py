"""Where wall-clock time enters the API (the shell, never the core)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)  # noqa: TID251 - the imperative shell is where time is read
