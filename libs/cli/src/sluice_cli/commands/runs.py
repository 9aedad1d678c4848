"""``sluice runs list|show|cancel|resume|retry|replay``: runs over the API.

``list`` takes the API's filters (``GET /workflow-runs``: status, workflow,
version, trigger, a run id or correlation key, a start-time window) and pages
with the API's cursors: ``--limit`` is the page size, ``--all`` follows every
cursor (progress on stderr), otherwise the next page's cursor is printed on
stderr (``--cursor`` continues there). The controls need a ``--reason`` (audited)
and an admin token, as the API does. Options, output and exit codes:
:mod:`sluice_cli.api`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import click
from sluice_config.clock import utc_now

from sluice_cli.api import (
    ApiContext,
    api_command,
    echo_json,
    echo_page,
    paging_options,
    parse_json_option,
)
from sluice_cli.shell import DURATION_OR_TIME, parse_moment
from sluice_cli.table import Column, echo_fields, field

STATUSES = ("QUEUED", "RUNNING", "WAITING", "SUCCEEDED", "FAILED", "CANCELED")
TRIGGERS = ("api", "event", "child")
RUN_COLUMNS = (  # on a narrow terminal: trigger goes first, then the workflow, the state
    field("runId", "RUN", keep=True),
    field("status", "STATUS", keep=True),
    field("workflowId", "WORKFLOW", drop=2),
    field("workflowVersion", "V", keep=True),
    field("state", "STATE", drop=1),
    field("startedAt", "STARTED", keep=True),
    field("trigger", "TRIGGER", drop=3),
    Column("WHERE / ERROR", lambda run: _where(run)),
)
RUN_FIELDS = (
    "runId", "workflowId", "workflowVersion", "status", "state", "nodePath", "trigger",
    "eventName", "correlationKey", "triggerEventId", "parentRunId", "startedAt", "updatedAt",
    "completedAt",
)  # fmt: skip
REASON = click.option("--reason", required=True, help="why (required; written to the audit log)")


def _where(run: Mapping[str, Any]) -> str:
    error = run.get("error")
    if isinstance(error, dict):
        return f"{error.get('category', 'error')}: {error.get('message', '')}"
    return str(run.get("nodePath") or "")


def run_id_argument(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a run id (a UUID)") from None


RUN_ID = click.argument("run_id", metavar="RUN_ID", callback=lambda _c, _p, v: run_id_argument(v))


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_moment(text, utc_now(), direction=-1)
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint=option) from None


@click.group("runs")
def command() -> None:
    """Workflow runs over the API: list, show, and the operator controls."""


@command.command("list")
@click.option("--status", "-s", "statuses", multiple=True, help="repeatable: " + ", ".join(
    STATUSES), type=click.Choice(STATUSES, case_sensitive=False))  # fmt: skip
@click.option("--workflow", "-w", "workflow_id", type=click.UUID, help="a definition's id")
@click.option("--version", type=click.IntRange(min=1), help="of that workflow")
@click.option("--trigger", "triggers", multiple=True, type=click.Choice(TRIGGERS),
              help="repeatable: how the run started")  # fmt: skip
@click.option("--search", "-q", help="a run id, or else a correlation key (exact)")
@click.option("--since", help=f"started at or after: {DURATION_OR_TIME} (ago)")
@click.option("--until", help=f"started before: {DURATION_OR_TIME} (ago)")
@click.option("--oldest-first", is_flag=True, help="oldest first [default: newest first]")
@paging_options("runs")
@api_command
def list_runs(
    api: ApiContext,
    statuses: tuple[str, ...],
    workflow_id: uuid.UUID | None,
    version: int | None,
    triggers: tuple[str, ...],
    search: str | None,
    since: str | None,
    until: str | None,
    oldest_first: bool,
    limit: int,
    cursor: str | None,
    follow: bool,
) -> None:
    """Runs matching the filters, newest first."""
    params = {
        "status": [s.upper() for s in statuses], "workflowId": workflow_id, "version": version,
        "trigger": list(triggers), "q": search, "from": _moment(since, "--since"),
        "to": _moment(until, "--until"), "sort": "startedAt" if oldest_first else None,
        "limit": limit, "cursor": cursor,
    }  # fmt: skip
    echo_page(api, "/workflow-runs", params, follow=follow, what="runs", columns=RUN_COLUMNS)


@command.command("show")
@RUN_ID
@api_command
def show(api: ApiContext, run_id: str) -> None:
    """One run: status, where it is, its error."""
    echo_run(api, api.client.get(f"/workflow-runs/{run_id}"))


def echo_run(api: ApiContext, run: dict[str, Any]) -> None:
    if api.output == "json":
        echo_json(run)
        return
    echo_fields(run, RUN_FIELDS)
    if run.get("error"):
        import json

        click.echo("error:")
        click.echo(json.dumps(run["error"], indent=2, ensure_ascii=False))


def _control(api: ApiContext, run_id: str, action: str, body: dict[str, Any]) -> None:
    sent = {key: value for key, value in body.items() if value is not None}
    echo_run(api, api.client.post(f"/workflow-runs/{run_id}/{action}", sent))


@command.command("cancel")
@RUN_ID
@REASON
@api_command
def cancel(api: ApiContext, run_id: str, reason: str) -> None:
    """Cancel a run that has not finished."""
    _control(api, run_id, "cancel", {"reason": reason})


@command.command("resume")
@RUN_ID
@REASON
@click.option("--payload", help="JSON (inline, @file or - for stdin): the event payload or "
              "task output to resume with")  # fmt: skip
@api_command
def resume(api: ApiContext, run_id: str, reason: str, payload: str | None) -> None:
    """Wake a WAITING run's open wait now."""
    value = parse_json_option(payload, "--payload") if payload is not None else None
    _control(api, run_id, "resume", {"reason": reason, "payload": value})


@command.command("retry")
@RUN_ID
@REASON
@click.option("--payload", help="edited payload, a JSON object (inline, @file or -)")
@click.option("--vars", "vars_", help="edited vars, a JSON object (inline, @file or -)")
@api_command
def retry(
    api: ApiContext, run_id: str, reason: str, payload: str | None, vars_: str | None
) -> None:
    """Restart a FAILED run at its failed step."""
    _control(api, run_id, "retry", {
        "reason": reason,
        "payload": parse_json_option(payload, "--payload") if payload is not None else None,
        "vars": parse_json_option(vars_, "--vars") if vars_ is not None else None,
    })  # fmt: skip


@command.command("replay")
@RUN_ID
@REASON
@click.option("--version", type=click.IntRange(min=1), help="[default: the run's version]")
@click.option("--payload", help="a JSON object (inline, @file or -) [default: the run's]")
@api_command
def replay(
    api: ApiContext, run_id: str, reason: str, version: int | None, payload: str | None
) -> None:
    """Start a new run of the same (or another) version; prints the new run."""
    _control(api, run_id, "replay", {
        "reason": reason, "version": version,
        "payload": parse_json_option(payload, "--payload") if payload is not None else None,
    })  # fmt: skip
