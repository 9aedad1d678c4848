"""Triggers (SPEC section 3, discriminated by ``type``): what starts a run by itself.

- ``event``: a run per stored event of that name (SPEC section 8).
- ``schedule``: a run per tick of a cron expression in a time zone; missed
  ticks after downtime follow ``catchUp`` (``workflow_core.schedules``).
- ``webhook``: a run per signed HTTP delivery (ingest's ``POST /hooks/{hookId}``).

The cron expression and the time zone are checked at publish
(``INVALID_TRIGGER``, located at ``root``), not here, so a draft with a typo
still loads and reports every problem at once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

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


class WebhookTrigger(WireModel):
    """``{"type": "webhook", "schema": {...}}``: a run per signed delivery to
    ``POST /hooks/{hookId}`` on ingest (hook id and secret made at first publish).

    ``schema`` (optional, a JSON Schema) checks each delivery's JSON body before
    anything is stored; without it the definition's ``payloadSchemaRef`` does.
    """

    type: Literal["webhook"]
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")


Trigger = Annotated[EventTrigger | ScheduleTrigger | WebhookTrigger, Field(discriminator="type")]
