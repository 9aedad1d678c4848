"""``sluice topics create``: Sluice's Kafka topics, from the one list in code.

The names come from ``sluice_messaging.topics.Topics`` for ``WF_TOPIC_PREFIX``
and creation from ``sluice_messaging.admin.ensure_topics`` -- the same code
``sluice dev`` and the tests use -- so the Helm chart's topic Job and the
compose file's one-shot service never keep a second list. Idempotent: existing
topics are kept, a topic with fewer partitions than asked is grown. Kafka
security (SASL/TLS) comes from the ``WF_KAFKA_*`` settings.
"""

from __future__ import annotations

import asyncio
import sys
from typing import NoReturn

import click


def _fail(message: str) -> NoReturn:
    click.echo(f"sluice topics: error: {message}", err=True)
    sys.exit(1)


@click.group("topics")
def command() -> None:
    """Kafka topics: create Sluice's topics (idempotent)."""


@command.command("create")
@click.option(
    "--bootstrap-servers",
    default=None,
    help="Kafka brokers [default: WF_KAFKA_BOOTSTRAP_SERVERS or the `sluice dev` stack].",
)
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    default=None,
    help="Partitions per topic [default: WF_TOPIC_PARTITIONS].",
)
@click.option(
    "--replication-factor",
    type=click.IntRange(min=1),
    default=None,
    help="Copies of each partition [default: WF_TOPIC_REPLICATION_FACTOR].",
)
@click.option(
    "--timeout", "timeout_s", type=click.FloatRange(min=1), default=60.0, show_default=True,
    help="Seconds to wait for the brokers and for every partition to have a leader.",
)  # fmt: skip
def create(
    bootstrap_servers: str | None,
    partitions: int | None,
    replication_factor: int | None,
    timeout_s: float,
) -> None:
    """Create every Sluice topic (WF_TOPIC_PREFIX + events, run-commands, ...)."""
    from aiokafka.errors import KafkaError
    from pydantic import ValidationError
    from sluice_config import load_settings
    from sluice_messaging.admin import ensure_topics
    from sluice_messaging.security import kafka_client_options
    from sluice_messaging.topics import Topics

    try:
        settings = load_settings()
    except ValidationError as exc:
        _fail(f"bad settings: {exc}")
    bootstrap = bootstrap_servers or settings.kafka_bootstrap_servers
    if not bootstrap:
        _fail(
            "no Kafka configured: pass --bootstrap-servers, set WF_KAFKA_BOOTSTRAP_SERVERS "
            "or run `sluice dev`"
        )
    topics = Topics.from_prefix(settings.topic_prefix)
    wanted = partitions or settings.topic_partitions
    copies = replication_factor or settings.topic_replication_factor
    try:
        counts = asyncio.run(
            ensure_topics(
                bootstrap, topics, wanted, replication_factor=copies, timeout_s=timeout_s,
                client_options=kafka_client_options(settings),
            )
        )  # fmt: skip
    except (KafkaError, OSError, TimeoutError) as exc:
        _fail(f"{type(exc).__name__}: {exc}")
    for name in topics.all():
        click.echo(f"{name}  {counts[name]} partitions")
    click.echo(f"topics ready on {bootstrap} (asked: {wanted} partitions, replication {copies})")
