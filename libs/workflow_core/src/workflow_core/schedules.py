"""Schedule triggers: cron ticks in a time zone, and which of them start a run.

Pure: every function takes the times it works on (the scheduler passes its
clock). Cron arithmetic is cronsim's (the cron library Healthchecks.io runs
on; it follows Debian's cron, DST quirks included):

- spring forward: a time inside the skipped hour (``30 2 * * *`` on the night
  clocks go from 02:00 to 03:00) fires once, at 03:00; an hourly ``0 * * * *``
  has no 02:00 that night;
- fall back: a fixed time inside the repeated hour (``30 2 * * *``) fires
  once, on its first occurrence; a wildcard hour (``0 * * * *``) fires on both.

Ticks are instants (aware datetimes in UTC); two ticks are the same tick when
they are the same instant, which is what the scheduler's unique key holds.

Catching up (``plan_ticks``): a tick the scheduler first sees more than
``MISSED_AFTER`` past its time was *missed* (no scheduler ran, or the
definition was just published). On-time ticks always fire. Missed ticks follow
``catchUp``: ``none`` skips them, ``latest`` fires the newest one, ``all``
fires them oldest first, at most ``MAX_CATCH_UP`` (the newest ones).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError

from workflow_core.definitions import ScheduleTrigger

# A tick seen within a minute of its time is on time: the scheduler polls every
# 0.25 s, so anything later means it was not running (or a publish just made it).
MISSED_AFTER = timedelta(seconds=60)
# ``catchUp: all`` fires at most this many missed ticks (the newest): a day of
# downtime under ``*/15 * * * *`` is 96 ticks; a per-minute schedule down for a
# day would be 1,440 runs at once, which no one wants from a catch-up.
MAX_CATCH_UP = 100
# How far back one plan looks for missed ticks (to count the skipped ones).
MAX_SCAN = 10_000


class ScheduleError(ValueError):
    """A cron expression or time zone that cannot be used; ``field`` names which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"trigger.{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Schedule:
    """A checked schedule: cron expression, zone and catch-up policy."""

    cron: str
    zone: ZoneInfo
    catch_up: str

    def after(self, moment: datetime) -> datetime | None:
        """The first tick strictly after ``moment`` (UTC), None if none in 50 years."""
        it = CronSim(self.cron, moment.astimezone(self.zone))
        return next((tick.astimezone(UTC) for tick in it), None)

    def next_ticks(self, moment: datetime, count: int) -> list[datetime]:
        """The next ``count`` ticks strictly after ``moment``, in UTC."""
        it = CronSim(self.cron, moment.astimezone(self.zone))
        ticks: list[datetime] = []
        for tick in it:
            ticks.append(tick.astimezone(UTC))
            if len(ticks) >= count:
                break
        return ticks

    def ticks_between(self, start: datetime, end: datetime, limit: int) -> list[datetime]:
        """Ticks in ``(start, end]``, newest first, at most ``limit``."""
        it = CronSim(self.cron, (end + timedelta(minutes=1)).astimezone(self.zone), reverse=True)
        found: list[datetime] = []
        for local in it:
            tick = local.astimezone(UTC)
            if tick <= start or len(found) >= limit:
                break
            if tick <= end:
                found.append(tick)
        return found


def parse_schedule(trigger: ScheduleTrigger) -> Schedule:
    """The trigger's schedule, or ScheduleError naming the bad field."""
    zone = _zone(trigger.timezone)
    try:
        CronSim(trigger.cron, datetime(2000, 1, 1, tzinfo=zone))
    except CronSimError as error:
        raise ScheduleError("cron", f"{trigger.cron!r} is not a cron expression: {error}") from None
    return Schedule(trigger.cron, zone, trigger.catch_up)


def _zone(name: str) -> ZoneInfo:
    # "localtime" is the machine's zone: two schedulers could disagree on it.
    if name != "localtime":
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    close = difflib.get_close_matches(name, sorted(_zone_names()), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ScheduleError("timezone", f"unknown time zone {name!r}{hint}; use an IANA name")


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones() - {"localtime"})


@dataclass(frozen=True)
class TickPlan:
    """What one look at a schedule decided (all instants in UTC)."""

    fire: list[datetime]  # oldest first
    missed: list[datetime]  # fired although late (a subset of ``fire``)
    skipped: int  # missed ticks not fired (counted up to MAX_SCAN)
    next_due: datetime | None  # the first tick after ``now``


def plan_ticks(
    schedule: Schedule, *, after: datetime, now: datetime, max_catch_up: int = MAX_CATCH_UP
) -> TickPlan:
    """Which ticks in ``(after, now]`` start a run; ``after`` is the last look's ``now``."""
    ticks = schedule.ticks_between(after, now, MAX_SCAN)  # newest first
    on_time = [t for t in ticks if now - t <= MISSED_AFTER]
    missed = [t for t in ticks if now - t > MISSED_AFTER]
    keep = {"none": 0, "latest": 1, "all": max_catch_up}[schedule.catch_up]
    caught = missed[:keep]
    fire = sorted(on_time + caught)
    return TickPlan(fire, sorted(caught), len(missed) - len(caught), schedule.after(now))
