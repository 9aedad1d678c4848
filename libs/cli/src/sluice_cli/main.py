"""The ``sluice`` command line: one entry point for operators and scripts."""

from __future__ import annotations

import click


@click.group()
def cli() -> None:
    """Sluice: a data-defined workflow runtime."""


@cli.command()
def setup() -> None:
    """Fetch what the local stack needs (Kafka jars); idempotent."""
    click.echo("sluice setup: nothing to fetch yet")
