"""Schedule triggers in the core: cron ticks in a zone, DST, catch-up, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from validation_support import definition, email_registry, found
from workflow_core.definitions import ScheduleTrigger
from workflow_core.schedules import (
    MAX_CATCH_UP,
    ScheduleError,
    parse_schedule,
    plan_ticks,
)
from workflow_core.validation import validate_definition


def schedule(cron: str, timezone: str = "Europe/Berlin", catch_up: str = "latest") -> Any:
    return parse_schedule(
        ScheduleTrigger(type="schedule", cron=cron, timezone=timezone, catch_up=catch_up)  # type: ignore[arg-type]
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def hhmm(ticks: list[datetime]) -> list[str]:
    return [t.strftime("%m-%d %H:%M") for t in ticks]


def test_weekday_mornings_in_berlin_are_07_00_utc_in_winter_06_00_in_summer() -> None:
    workdays = schedule("0 8 * * MON-FRI")
    winter = workdays.next_ticks(utc(2026, 1, 9, 12), 3)  # a Friday
    assert hhmm(winter) == ["01-12 07:00", "01-13 07:00", "01-14 07:00"]
    summer = workdays.next_ticks(utc(2026, 7, 3, 12), 1)
    assert hhmm(summer) == ["07-06 06:00"]


def test_spring_forward_fixed_time_in_the_skipped_hour_fires_once_at_03_00() -> None:
    # Europe/Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC).
    ticks = schedule("30 2 * * *").next_ticks(utc(2026, 3, 27, 12), 3)
    assert hhmm(ticks) == ["03-28 01:30", "03-29 01:00", "03-30 00:30"]


def test_spring_forward_hourly_has_no_02_00_that_night() -> None:
    ticks = schedule("0 * * * *").ticks_between(utc(2026, 3, 28, 23, 30), utc(2026, 3, 29, 3), 10)
    local = [t.astimezone(schedule("0 * * * *").zone).strftime("%H:%M%z") for t in sorted(ticks)]
    assert local == ["01:00+0100", "03:00+0200", "04:00+0200", "05:00+0200"]


def test_fall_back_fixed_time_in_the_repeated_hour_fires_once() -> None:
    # Europe/Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
    ticks = schedule("30 2 * * *").next_ticks(utc(2026, 10, 23, 12), 3)
    assert hhmm(ticks) == ["10-24 00:30", "10-25 00:30", "10-26 01:30"]


def test_fall_back_hourly_fires_in_both_02_00_hours() -> None:
    hourly = schedule("0 * * * *")
    ticks = sorted(hourly.ticks_between(utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 3, 30), 10))
    local = [t.astimezone(hourly.zone).strftime("%H:%M%z") for t in ticks]
    assert local == ["02:00+0200", "02:00+0100", "03:00+0100", "04:00+0100"]
    assert len(set(ticks)) == 4  # two distinct instants for 02:00


@pytest.mark.parametrize(
    ("zone", "day"), [("America/New_York", utc(2026, 3, 8)), ("America/New_York", utc(2026, 11, 1))]
)
def test_new_york_transitions_keep_09_00_local(zone: str, day: datetime) -> None:
    nine = schedule("0 9 * * *", zone)
    ticks = nine.next_ticks(day - timedelta(days=2), 4)
    assert [t.astimezone(nine.zone).hour for t in ticks] == [9, 9, 9, 9]
    offsets = {t.astimezone(nine.zone).utcoffset() for t in ticks}
    assert len(offsets) == 2  # the four days straddle the transition


def test_ticks_between_agrees_with_iterating_forward_across_both_transitions() -> None:
    every_20 = schedule("*/20 1-3 * * *")
    for start in (utc(2026, 3, 28, 22), utc(2026, 10, 24, 22)):
        end = start + timedelta(hours=8)
        forward = [t for t in every_20.next_ticks(start, 40) if t <= end]
        assert sorted(every_20.ticks_between(start, end, 100)) == forward


def test_plan_fires_an_on_time_tick_and_names_the_next() -> None:
    plan = plan_ticks(
        schedule("0 8 * * *"), after=utc(2026, 1, 5, 6, 59), now=utc(2026, 1, 5, 7, 0, 1)
    )
    assert (hhmm(plan.fire), plan.missed, plan.skipped) == (["01-05 07:00"], [], 0)
    assert plan.next_due == utc(2026, 1, 6, 7)


def test_plan_fires_nothing_between_ticks() -> None:
    plan = plan_ticks(schedule("0 8 * * *"), after=utc(2026, 1, 5, 7, 0, 1), now=utc(2026, 1, 5, 9))
    assert (plan.fire, plan.skipped, plan.next_due) == ([], 0, utc(2026, 1, 6, 7))


@pytest.mark.parametrize(
    ("catch_up", "fired", "skipped"),
    [
        ("none", [], 5),
        ("latest", ["01-09 07:00"], 4),
        ("all", ["01-05 07:00", "01-06 07:00", "01-07 07:00", "01-08 07:00", "01-09 07:00"], 0),
    ],
)
def test_plan_after_downtime_follows_catch_up(
    catch_up: str, fired: list[str], skipped: int
) -> None:
    daily = schedule("0 8 * * *", catch_up=catch_up)
    plan = plan_ticks(daily, after=utc(2026, 1, 4, 12), now=utc(2026, 1, 9, 12))
    assert (hhmm(plan.fire), plan.skipped) == (fired, skipped)
    assert plan.missed == plan.fire  # all of them late


def test_plan_catch_up_all_is_bounded_to_the_newest() -> None:
    minutely = schedule("* * * * *", "UTC", "all")
    plan = plan_ticks(minutely, after=utc(2026, 1, 1), now=utc(2026, 1, 2))
    # 23:59 and 00:00 are on time (within MISSED_AFTER of now), then the 100 newest missed.
    assert len(plan.fire) == 2 + MAX_CATCH_UP
    assert (plan.fire[0], plan.fire[-1]) == (utc(2026, 1, 1, 22, 19), utc(2026, 1, 2))
    assert plan.skipped == 1440 - 2 - MAX_CATCH_UP


def test_plan_on_time_tick_fires_even_with_catch_up_none() -> None:
    plan = plan_ticks(
        schedule("*/5 * * * *", "UTC", "none"), after=utc(2026, 1, 1), now=utc(2026, 1, 1, 1, 0, 30)
    )
    assert (hhmm(plan.fire), plan.skipped) == (["01-01 01:00"], 11)


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ({"cron": "61 * * * *"}, "trigger.cron: '61 * * * *' is not a cron expression: Bad minute"),
        ({"cron": "@daily"}, "trigger.cron: '@daily' is not a cron expression"),
        ({"cron": "0 8 * *"}, "Wrong number of fields"),
        (
            {"cron": "0 8 * * *", "timezone": "Europe/Berln"},
            "trigger.timezone: unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)",
        ),
        ({"cron": "0 8 * * *", "timezone": "localtime"}, "unknown time zone 'localtime'"),
        ({"cron": "0 8 * * *", "timezone": "../etc/passwd"}, "unknown time zone"),
    ],
)
def test_bad_cron_or_zone_is_a_located_publish_error(trigger: dict[str, str], message: str) -> None:
    doc = definition(trigger={"type": "schedule", **trigger})
    report = validate_definition(doc, registry=email_registry())
    assert found(report) == [("error", "INVALID_TRIGGER", "root")]
    assert message in report.errors[0].message
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(ScheduleTrigger.model_validate({"type": "schedule", **trigger}))
    assert report.errors[0].pointer == f"/trigger/{raised.value.field}"
    assert report.errors[0].message.startswith(f"trigger.{raised.value.field}: ")


def test_schedule_trigger_shape_errors_name_the_field() -> None:
    doc = definition(trigger={"type": "schedule", "cron": "0 8 * * *", "catchUp": "some"})
    report = validate_definition(doc, registry=email_registry())
    assert found(report) == [("error", "INVALID_DEFINITION", "root")]
    assert report.errors[0].message.startswith("field 'trigger.catchUp'")
    missing = validate_definition(
        definition(trigger={"type": "schedule"}), registry=email_registry()
    )
    assert missing.errors[0].message == "field 'trigger.cron' is required"


def test_valid_schedule_publishes() -> None:
    trigger = {"type": "schedule", "cron": "0 8 * * MON-FRI", "timezone": "Europe/Berlin",
               "catchUp": "all"}  # fmt: skip
    assert validate_definition(definition(trigger=trigger), registry=email_registry()).ok


def test_scheduled_payload_schema_is_registered_and_checks_paths() -> None:
    trigger = {"type": "schedule", "cron": "0 8 * * *"}
    step = {"id": "a", "type": "transform.assign",
            "config": {"assign": {"vars.at": {"$expr": "payload.scheduledAtt"}}}}  # fmt: skip
    doc = definition(step, trigger=trigger, payloadSchemaRef="payload.ScheduleTick.v1")
    report = validate_definition(doc, registry=email_registry())
    assert [(e.code, e.step_path) for e in report.errors] == [
        ("UNKNOWN_PAYLOAD_PATH", "root.steps[0]")
    ]
    assert "scheduledAt" in report.errors[0].message  # the did-you-mean names the field


def test_webhook_trigger_schema_must_be_a_json_schema() -> None:
    bad = definition(trigger={"type": "webhook", "schema": {"type": "objekt"}})
    report = validate_definition(bad, registry=email_registry())
    assert [(e.code, e.step_path, e.pointer) for e in report.errors] == [
        ("INVALID_TRIGGER", "root", "/trigger/schema")
    ]
    assert report.errors[0].message.startswith("trigger.schema: ")
    good = definition(trigger={"type": "webhook", "schema": {"type": "object"}})
    assert validate_definition(good, registry=email_registry()).errors == []
