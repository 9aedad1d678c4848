"""``KafkaProbe``: the readiness question the interpreter and executor ask Kafka."""

from __future__ import annotations

import time

import pytest
from sluice_devstack.ports import free_port
from sluice_messaging.probe import PROBE_TIMEOUT_S, KafkaProbe

pytestmark = pytest.mark.integration


async def test_probe_answers_while_a_broker_answers(kafka_bootstrap_servers: str) -> None:
    probe = KafkaProbe(kafka_bootstrap_servers)
    try:
        assert [await probe.answers() for _ in range(3)] == [True, True, True]  # one client
    finally:
        await probe.close()


async def test_probe_says_no_within_its_timeout_when_nothing_listens() -> None:
    probe = KafkaProbe(f"127.0.0.1:{free_port()}")
    try:
        began = time.monotonic()
        assert not await probe.answers()
        assert not await probe.answers()
        assert time.monotonic() - began < 2 * PROBE_TIMEOUT_S + 1.0  # never hangs a probe
    finally:
        await probe.close()
