"""The ``sluice`` command line: one entry point for operators and scripts.

Commands live one per module in :mod:`sluice_cli.commands`; each module exposes
a click command or group named ``command``, and this module registers every
such module it finds. Adding ``sluice tokens`` is therefore one new file,
``sluice_cli/commands/tokens.py``, with no edit here (several engineers add
commands at the same time).
"""

from __future__ import annotations

import importlib
import pkgutil

import click

from sluice_cli import commands


@click.group()
def cli() -> None:
    """Sluice: a data-defined workflow runtime."""


def register_commands(group: click.Group) -> None:
    """Add the ``command`` of every module in :mod:`sluice_cli.commands`."""
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            group.add_command(command)


register_commands(cli)
