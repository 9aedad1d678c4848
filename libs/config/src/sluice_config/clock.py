"""Where wall-clock time enters Sluice: the one clock of every service (never the core).

Services, the engine and plugins read time through ``utc_now`` (or a ``Clock``
they were given, so tests can inject theirs); ruff's banned-api rule keeps
``datetime.now`` out of everything else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)  # noqa: TID251 - the imperative shell is where time is read
