"""``sluice stack status``: what ``sluice dev`` is running, from its connection file."""

from __future__ import annotations

import json
import sys

import click


@click.group("stack")
def command() -> None:
    """Inspect the local stack started by `sluice dev`."""


@command.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the connection file as JSON.")
def status(as_json: bool) -> None:
    """Say whether `sluice dev` runs, where it listens and which children are alive."""
    from sluice_config import Settings
    from sluice_devstack.connection import read_connection_file

    path = Settings().connection_file
    saved = read_connection_file(path)
    if saved is None or not _alive(saved.get("pid")):
        click.echo(f"no local stack is running (no live connection file at {path})")
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(saved, indent=2))
        return
    click.echo(f"sluice dev running, pid {saved['pid']} ({path})")
    click.echo(f"  database_url             {saved.get('database_url')}")
    click.echo(f"  kafka_bootstrap_servers  {saved.get('kafka_bootstrap_servers')}")
    ports = saved.get("ports", {})
    for name, pid in saved.get("pids", {}).items():
        state = "running" if _alive(pid) else "GONE"
        click.echo(f"  {name:<12} pid {pid:<8} port {ports.get(name, '-'):<6} {state}")


def _alive(pid: object) -> bool:
    import psutil

    return isinstance(pid, int) and psutil.pid_exists(pid)
