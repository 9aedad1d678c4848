"""A Faust Kafka transport whose consumer long-polls for 20 ms instead of 1.5 s,
and whose producer is idempotent.

Faust's aiokafka driver hard-codes ``fetch_max_wait_ms=1500``, and aiokafka
keeps one fetch request in flight per broker. Partitions that still had
records buffered when that request went out are not in it, so records that
arrive for them wait until it returns: up to 1.5 s when it holds only quiet
partitions (``wf.events`` with no traffic, say). Measured on the runs
benchmark: records sat 1.4 s (p50) in Kafka between relay and executor while
the agents idled two thirds of the time. With 20 ms (the agents' batching
window) a record waits at most that long; the cost is an empty fetch every
20 ms while idle.

Faust starts a producer of its own whatever the agents do (ours publish through
the outbox relay's producer, ``sluice_messaging.producer``); it gets the same
durability as every other producer here: ``acks=all`` and idempotence (Faust
turns idempotence on only for exactly-once processing), so a retried send
never lands twice and an acknowledged one is on every in-sync replica.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka

FETCH_MAX_WAIT_MS = 20


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Read by aiokafka when the consumer starts (its Fetcher is built in start()).
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class IdempotentProducer(faust_aiokafka.Producer):
    def _settings_extra(self) -> Mapping[str, Any]:
        return {**super()._settings_extra(), "acks": "all", "enable_idempotence": True}


class ShortPollTransport(faust_aiokafka.Transport):
    """``kafka://`` with the short fetch long poll and an idempotent producer; set as
    ``app.transport`` (Faust makes its consumer and its producer from it)."""

    Consumer = _Consumer
    Producer = IdempotentProducer
