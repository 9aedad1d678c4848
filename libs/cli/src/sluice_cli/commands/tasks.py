"""``sluice tasks list|claim|complete``: human tasks over the API (``/human-tasks``).

``complete`` sends the form output (``--data``); the API checks it against the
task's form schema first, and a refusal names each field at fault (exit 1).
Options, output and exit codes: :mod:`sluice_cli.api`.
"""

from __future__ import annotations

import uuid
from typing import Any

import click

from sluice_cli.api import (
    ApiContext,
    api_command,
    echo_json,
    echo_page,
    paging_options,
    parse_json_option,
)
from sluice_cli.table import echo_fields, field

STATUSES = ("OPEN", "CLAIMED", "COMPLETED", "CANCELED")
TASK_COLUMNS = (  # on a narrow terminal: the run goes first, then who claimed it, the type
    field("taskId", "TASK", keep=True),
    field("status", "STATUS", keep=True),
    field("taskType", "TYPE", drop=1),
    field("title", "TITLE"),
    field("claimedBy", "CLAIMED BY", drop=2),
    field("createdAt", "CREATED", keep=True),
    field("runId", "RUN", drop=3),
)
TASK_FIELDS = (
    "taskId", "runId", "taskType", "title", "description", "status", "assignee", "claimedBy",
    "createdAt", "completedAt", "formSchema", "output",
)  # fmt: skip


def _task_id(_ctx: Any, _param: Any, text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a task id (a UUID)") from None


TASK_ID = click.argument("task_id", metavar="TASK_ID", callback=_task_id)


@click.group("tasks")
def command() -> None:
    """Human tasks over the API: list, claim, complete."""


@command.command("list")
@click.option("--status", "-s", "statuses", multiple=True,
              type=click.Choice(STATUSES, case_sensitive=False),
              help="repeatable [default: every status]")  # fmt: skip
@click.option("--run", "run_id", type=click.UUID, help="the tasks of one run")
@paging_options("tasks")
@api_command
def list_tasks(
    api: ApiContext,
    statuses: tuple[str, ...],
    run_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
    follow: bool,
) -> None:
    """Human tasks, oldest first."""
    params = {"status": [s.upper() for s in statuses], "runId": run_id, "limit": limit,
              "cursor": cursor}  # fmt: skip
    echo_page(api, "/human-tasks", params, follow=follow, what="tasks", columns=TASK_COLUMNS)


def echo_task(api: ApiContext, task: dict[str, Any]) -> None:
    if api.output == "json":
        echo_json(task)
    else:
        echo_fields(task, TASK_FIELDS)


@command.command("claim")
@TASK_ID
@api_command
def claim(api: ApiContext, task_id: str) -> None:
    """Claim an open task for the token's subject."""
    echo_task(api, api.client.post(f"/human-tasks/{task_id}/claim", send_body=False))


@command.command("complete")
@TASK_ID
@click.option("--data", required=True,
              help="the form output as JSON (inline, @file or - for stdin)")  # fmt: skip
@api_command
def complete(api: ApiContext, task_id: str, data: str) -> None:
    """Complete a task with its form output (checked against its form first)."""
    output = parse_json_option(data, "--data")
    echo_task(api, api.client.post(f"/human-tasks/{task_id}/complete", output))
