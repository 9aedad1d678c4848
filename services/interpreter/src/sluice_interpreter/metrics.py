"""Prometheus metrics and the progress signal behind ``/healthz``.

Liveness is based on progress, not on the process being up: an agent that
has held one batch longer than ``stuck_after_s`` (a hung handler, a lost
database) makes ``/healthz`` fail so the orchestrator restarts it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from sluice_engine.relay import OutboxRelay
from sluice_messaging.dlq import DeadLetterPublisher


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.messages = Counter(
            "sluice_messages_total", "Messages handled, by agent and outcome",
            ["agent", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.dead_letters = Counter(
            "sluice_dead_letters_total", "Messages sent to the DLQ, by agent",
            ["agent"], registry=self.registry,
        )  # fmt: skip
        self.batch_seconds = Histogram(
            "sluice_batch_seconds", "Time to handle one polled batch", ["agent"],
            registry=self.registry,
        )  # fmt: skip
        self.jobs_in_flight = Gauge(
            "sluice_action_jobs_in_flight", "Action handlers running now", registry=self.registry
        )
        self.last_progress = Gauge(
            "sluice_last_progress_timestamp_seconds", "When an agent last finished a batch",
            ["agent"], registry=self.registry,
        )  # fmt: skip


@dataclass
class Progress:
    """When each agent's current batch started (absent: idle)."""

    busy_since: dict[str, float] = field(default_factory=dict)
    crashed: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def batch(self, agent: str, metrics: Metrics) -> Iterator[None]:
        started = time.monotonic()
        self.busy_since[agent] = started
        try:
            with metrics.batch_seconds.labels(agent).time():
                yield
        finally:
            self.busy_since.pop(agent, None)
            metrics.last_progress.labels(agent).set(time.time())

    def stuck(self, stuck_after_s: float) -> list[str]:
        now = time.monotonic()
        late = [a for a, since in self.busy_since.items() if now - since > stuck_after_s]
        return sorted(late + [f"{a} crashed: {why}" for a, why in self.crashed.items()])


class RelayCollector(Collector):
    """The outbox relay's counters, read at scrape time (the relay keeps plain ints)."""

    def __init__(self, relay: OutboxRelay) -> None:
        self._relay = relay

    def collect(self) -> Iterator[CounterMetricFamily]:
        stats, listener = self._relay.stats, self._relay.listener
        for name, doc, value in (
            ("sluice_outbox_relayed", "Outbox rows published", stats.relayed),
            ("sluice_outbox_refused", "Outbox rows Kafka refused (dead letters)", stats.refused),
            ("sluice_outbox_relay_failures", "Relay rounds failed and retried", stats.failures),
            ("sluice_outbox_listen_drops", "LISTEN connections lost", listener.drops),
        ):
            yield CounterMetricFamily(name, doc, value=value)


class DeadLetterCollector(Collector):
    """The DLQ publisher's counters: letters Kafka refused whole, and producer renewals."""

    def __init__(self, dlq: DeadLetterPublisher) -> None:
        self._dlq = dlq

    def collect(self) -> Iterator[CounterMetricFamily]:
        stats = self._dlq.stats
        for name, doc, value in (
            ("sluice_dead_letters_reduced", "Dead letters Kafka refused whole; sent reduced",
             stats.reduced),
            ("sluice_dead_letters_unpublished", "Dead letters Kafka refused even reduced "
             "(PostgreSQL only)", stats.unpublished),
            ("sluice_dlq_producer_renewals", "DLQ producers replaced after a failed send",
             self._dlq.producer.renewals),
        ):  # fmt: skip
            yield CounterMetricFamily(name, doc, value=value)
