"""The ``sluice`` group registers command modules, and ``sluice dev`` picks its
set-up steps from what is registered."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sluice_cli.commands.dev import _has_command
from sluice_cli.main import cli, register_commands
from sluice_devstack import services


def test_cli_registers_command_modules_when_built() -> None:
    assert {"setup", "dev", "stack"} <= set(cli.commands)


def test_register_commands_adds_each_module_command_when_called() -> None:
    group = click.Group("probe")
    register_commands(group)
    assert set(group.commands) == set(cli.commands)


def test_has_command_matches_group_and_subcommand_when_registered() -> None:
    root = click.Group("root")
    db = click.Group("db")
    db.add_command(click.Command("upgrade"))
    root.add_command(db)
    assert _has_command(root, ("db", "upgrade"))
    assert not _has_command(root, ("db", "downgrade"))
    assert not _has_command(root, ("seed", "--tenant", "demo"))


def test_services_select_rejects_unknown_name_when_listed() -> None:
    assert services.select("none") == ()
    assert [s.name for s in services.select("api,scheduler")] == ["api", "scheduler"]
    assert services.select("all") == services.SERVICES
    result = CliRunner().invoke(cli, ["dev", "--services", "nope"])
    assert result.exit_code == 2
    assert "unknown service" in result.output


def test_service_not_runnable_when_module_missing() -> None:
    spec = services.ServiceSpec("ghost", "sluice_no_such_module", "api_port")
    assert not services.runnable(spec)


def test_stack_status_fails_when_no_stack_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WF_LOCAL_STACK_FILE", f"{tmp_path}/none.json")
    result = CliRunner().invoke(cli, ["stack", "status"])
    assert result.exit_code == 1
    assert "no local stack is running" in result.output


def test_dev_refuses_a_broker_count_out_of_range_when_asked() -> None:
    result = CliRunner().invoke(cli, ["dev", "--kafka-brokers", "7"])
    assert result.exit_code == 2
    assert "--kafka-brokers" in result.output
    assert "1<=x<=5" in result.output
