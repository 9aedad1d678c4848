"""Schedules on the wire: a published schedule trigger, its next fire times and ticks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from sluice_api.schemas.common import WireModel


class TickPublic(WireModel):
    """One fired tick: the run it started, or why none started."""

    tick_at: datetime
    run_id: uuid.UUID | None = None
    outcome: Literal["STARTED", "FAILED"]
    late: bool = Field(description="a missed tick fired by catchUp after downtime")
    reason: str | None = None
    fired_at: datetime


class SchedulePublic(WireModel):
    """The schedule trigger of a definition's latest published version."""

    workflow_id: uuid.UUID
    workflow_version: int
    cron: str
    timezone: str
    catch_up: Literal["none", "latest", "all"]
    next_fire_times: list[datetime] = Field(description="the next ticks after now, in UTC")
    last_fired_at: datetime | None = None
    recent_ticks: list[TickPublic] = Field(description="the latest fired ticks, newest first")
