"""``sluice topics create`` against the real broker: the topic list from code,
partition count from the settings, idempotent, grows a topic asked for more."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from click.testing import CliRunner
from sluice_cli.main import cli
from sluice_messaging.topics import Topics

pytestmark = pytest.mark.integration


async def _partition_counts(bootstrap: str, names: tuple[str, ...]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(names))
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described if t["error_code"] == 0}


def test_topics_create_makes_every_topic_then_grows_them(
    kafka_bootstrap_servers: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WF_KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap_servers)
    monkeypatch.setenv("WF_TOPIC_PREFIX", topic_prefix)
    monkeypatch.setenv("WF_TOPIC_PARTITIONS", "2")
    names = Topics.from_prefix(topic_prefix).all()
    runner = CliRunner()

    first = runner.invoke(cli, ["topics", "create"])
    again = runner.invoke(cli, ["topics", "create"])
    grown = runner.invoke(cli, ["topics", "create", "--partitions", "3"])

    assert first.exit_code == 0, first.output
    assert f"{topic_prefix}events  2 partitions" in first.output
    assert again.exit_code == 0, again.output
    assert again.output == first.output
    assert grown.exit_code == 0, grown.output
    assert f"{topic_prefix}dlq  3 partitions" in grown.output
    counts = asyncio.run(_partition_counts(kafka_bootstrap_servers, names))
    assert counts == dict.fromkeys(names, 3)


def test_topics_create_unreachable_broker_fails_with_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WF_TOPIC_PREFIX", "never.")
    result = CliRunner().invoke(
        cli, ["topics", "create", "--bootstrap-servers", "127.0.0.1:9", "--timeout", "2"]
    )
    assert result.exit_code == 1
    assert "sluice topics: error:" in result.output
