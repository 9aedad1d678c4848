"""``sluice events send``: submit an event over the API (``POST /workflow/events``).

The API routes it before it answers, so the output names the runs it started
and the waiting run it resumed (``duplicate`` when the idempotency key was seen
before). Options, output and exit codes: :mod:`sluice_cli.api`.
"""

from __future__ import annotations

import click

from sluice_cli.api import ApiContext, api_command, echo_json, parse_json_option
from sluice_cli.table import echo_fields

ROUTED_FIELDS = ("eventId", "startedRunIds", "resumedRunId", "duplicate", "errors")


@click.group("events")
def command() -> None:
    """Events over the API: send one."""


@command.command("send")
@click.argument("event_name")
@click.option("--key", "correlation_key", required=True,
              help="the correlation key (waits on this key resume)")  # fmt: skip
@click.option("--payload", default=None,
              help="a JSON object (inline, @file or - for stdin) [default: {}]")  # fmt: skip
@click.option("--idempotency-key", default=None,
              help="sent again, it is answered as a duplicate and routed once")  # fmt: skip
@api_command
def send(
    api: ApiContext,
    event_name: str,
    correlation_key: str,
    payload: str | None,
    idempotency_key: str | None,
) -> None:
    """Submit EVENT_NAME; prints the runs it started and the run it resumed."""
    body = {
        "eventName": event_name, "correlationKey": correlation_key,
        "payload": parse_json_option(payload, "--payload") if payload is not None else {},
    }  # fmt: skip
    if idempotency_key is not None:
        body["idempotencyKey"] = idempotency_key
    routed = api.client.post("/workflow/events", body)
    if api.output == "json":
        echo_json(routed)
    else:
        echo_fields(routed, ROUTED_FIELDS)
