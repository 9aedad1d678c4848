"""Triggers (SPEC section 3, discriminated by ``type``): what starts a run by itself.

- ``event``: a run per stored event of that name (SPEC section 8).
- ``schedule``: a run per tick of a cron expression in a time zone; missed
  ticks after downtime follow ``catchUp`` (``workflow_core.schedules``).

The cron expression and the time zone are checked at publish
(``INVALID_TRIGGER``, located at ``root``), not here, so a draft with a typo
still loads and reports every problem at once.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from workflow_core.definitions.base import WireModel

CatchUp = Literal["none", "latest", "all"]


class EventTrigger(WireModel):
    type: Literal["event"]
    event_name: str = Field(min_length=1, max_length=200)


class ScheduleTrigger(WireModel):
    """``{"type": "schedule", "cron": "0 8 * * MON-FRI", "timezone": "Europe/Berlin"}``.

    ``timezone`` is an IANA name (default UTC); ``catchUp`` says which ticks
    missed while no scheduler ran still start a run: ``none``, ``latest`` (the
    newest missed one, the default) or ``all`` (bounded, see ``schedules``).
    """

    type: Literal["schedule"]
    cron: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="UTC", min_length=1, max_length=64)
    catch_up: CatchUp = "latest"


Trigger = Annotated[EventTrigger | ScheduleTrigger, Field(discriminator="type")]
