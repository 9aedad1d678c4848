"""``/workflow-schedules``: published schedule triggers and their next fire times.

A schedule exists while the latest published version of a definition has a
``{"type": "schedule"}`` trigger (``sluice_storage.schedules``); the
scheduler fires it. Next fire times come from the same pure code the
scheduler plans with (``workflow_core.schedules``), from the API's clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query
from sluice_http import not_found, sluice_router
from sluice_storage.schedules import ScheduleRecord, ScheduleRepository, TickRecord
from workflow_core.definitions import ScheduleTrigger
from workflow_core.schedules import parse_schedule

from sluice_api.deps import ContextDep, DefinitionIdPath, Viewer
from sluice_api.schemas.schedules import SchedulePublic, TickPublic

router = sluice_router(prefix="/workflow-schedules", tags=["schedules"])
CountQuery = Annotated[int, Query(ge=1, le=100, description="how many next fire times")]


@router.get("/{id}", summary="A definition's schedule trigger: next fire times, recent ticks")
async def get_schedule(
    ctx: ContextDep, who: Viewer, workflow_id: DefinitionIdPath, count: CountQuery = 5
) -> SchedulePublic:
    async with ctx.tx() as conn:
        repo = ScheduleRepository(conn, who.tenant_id)
        record = await repo.get(workflow_id)
        if record is None:
            raise not_found("schedule of definition", workflow_id)
        ticks = await repo.recent_ticks(workflow_id, limit=10)
    return schedule_public(record, ticks, ctx.clock(), count)


def schedule_public(
    record: ScheduleRecord, ticks: list[TickRecord], now: datetime, count: int
) -> SchedulePublic:
    trigger = ScheduleTrigger(
        type="schedule", cron=record.cron, timezone=record.timezone,
        catch_up=record.catch_up,  # the table's CHECK holds it to a CatchUp value
    )  # fmt: skip
    upcoming = parse_schedule(trigger).next_ticks(now, count)
    return SchedulePublic(
        workflow_id=record.workflow_id, workflow_version=record.workflow_version,
        cron=record.cron, timezone=record.timezone, catch_up=trigger.catch_up,
        next_fire_times=upcoming, last_fired_at=record.last_fired_at,
        recent_ticks=[TickPublic.model_validate(t, from_attributes=True) for t in ticks],
    )  # fmt: skip
