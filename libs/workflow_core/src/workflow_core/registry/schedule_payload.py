"""``payload.ScheduleTick.v1``: the payload of a run a schedule trigger started.

Registered by the core so a scheduled definition can name it as its
``payloadSchemaRef`` and get its expressions type-checked at publish. The
scheduler builds this payload (``sluice_scheduler.schedule_triggers``).
"""

from __future__ import annotations

from typing import Any

SCHEDULE_PAYLOAD_REF = "payload.ScheduleTick.v1"

SCHEDULE_PAYLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["scheduledAt", "scheduledAtLocal", "timezone", "cron", "late"],
    "properties": {
        "scheduledAt": {"type": "string", "format": "date-time", "description": "the tick, UTC"},
        "scheduledAtLocal": {
            "type": "string",
            "format": "date-time",
            "description": "the tick in the schedule's time zone, with its offset",
        },
        "timezone": {"type": "string"},
        "cron": {"type": "string"},
        "late": {"type": "boolean", "description": "a missed tick fired by catchUp"},
    },
}
