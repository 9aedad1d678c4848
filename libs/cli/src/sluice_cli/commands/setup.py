"""``sluice setup``: fetch what the local stack needs (the Kafka broker's jars)."""

from __future__ import annotations

import sys

import click


@click.command("setup")
def command() -> None:
    """Fetch the Kafka broker's jars from Maven Central; idempotent."""
    from sluice_config import Settings
    from sluice_devstack.errors import DevstackError
    from sluice_devstack.kafka_jars import ensure_kafka_jars
    from sluice_devstack.tools import require_java

    settings = Settings()
    try:
        java = require_java()
        click.echo(f"sluice setup: java at {java}")
        libs = ensure_kafka_jars(
            settings.cache_dir, echo=lambda line: click.echo(f"sluice setup: {line}")
        )
    except DevstackError as exc:
        click.echo(f"sluice setup: error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"sluice setup: done; the local stack is ready to run (`sluice dev`), jars in {libs}"
    )
