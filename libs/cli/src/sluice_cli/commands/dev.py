"""``sluice dev``: the whole system locally, in the foreground; Ctrl-C stops all."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sluice_devstack.dev import SetupStep

# Run after Kafka and PostgreSQL are up and before the services start, each
# only when its command is registered (other modules of sluice_cli.commands).
# Demo tenant and role follow ARCHITECTURE "Running it" and SPEC (auth roles).
DEMO_TENANT = "demo"
# (label, command, label of its shown stdout, whether that stdout signs in to the UI)
SETUP_STEPS: tuple[tuple[str, tuple[str, ...], str, bool], ...] = (
    ("db upgrade", ("db", "upgrade"), "", False),
    ("seed", ("seed", "--tenant", DEMO_TENANT), "", False),
    ("admin token", ("tokens", "create", "--tenant", DEMO_TENANT, "--role", "workflow.admin"),
     f"admin token for tenant {DEMO_TENANT}", True),
)  # fmt: skip


@click.command("dev")
@click.option(
    "--services",
    default="all",
    show_default=True,
    help="Services to run: all, none, or a comma-separated list (api,ingest,...).",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where PostgreSQL and Kafka keep data and logs [default: <cache>/local].",
)
@click.option(
    "--kafka-brokers",
    type=click.IntRange(1, 5),
    default=None,
    help="Kafka brokers to run: 3 is a KRaft cluster (3 copies of every topic, "
    "min.insync.replicas 2) [default: WF_KAFKA_BROKERS, 1].",
)
@click.pass_context
def command(
    ctx: click.Context, services: str, state_dir: Path | None, kafka_brokers: int | None
) -> None:
    """Start PostgreSQL, Kafka, topics, migrations and the services; Ctrl-C stops all."""
    from sluice_config import Settings
    from sluice_devstack import services as svc
    from sluice_devstack.dev import DevPlan, run_dev
    from sluice_devstack.errors import DevstackError

    settings = Settings()
    if kafka_brokers is not None:
        settings = settings.model_copy(update={"kafka_brokers": kafka_brokers})
    try:
        chosen = svc.select(services)
    except DevstackError as exc:
        raise click.BadParameter(str(exc), param_hint="--services") from exc
    plan = DevPlan(
        settings=settings,
        state_dir=state_dir or settings.cache_dir / "local",
        services=chosen,
        steps=_setup_steps(ctx),
    )
    sys.exit(asyncio.run(run_dev(plan, echo=click.echo)))


def _setup_steps(ctx: click.Context) -> tuple[SetupStep, ...]:
    from sluice_devstack.dev import SetupStep

    root = ctx.find_root().command
    assert isinstance(root, click.Group)
    steps = []
    for label, args, shown, signs_in in SETUP_STEPS:
        if _has_command(root, args):
            argv = (sys.executable, "-m", "sluice_cli", *args)
            steps.append(SetupStep(label=label, argv=argv, show_stdout=shown, signs_in=signs_in))
    return tuple(steps)


def _has_command(root: click.Group, args: tuple[str, ...]) -> bool:
    """True when ``args`` starts with a registered command (and sub-command)."""
    command: click.Command | None = root.commands.get(args[0])
    if isinstance(command, click.Group) and len(args) > 1 and not args[1].startswith("-"):
        command = command.commands.get(args[1])
    return command is not None
