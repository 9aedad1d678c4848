"""Prometheus metrics of the ingest service, one registry per app (tests build several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class IngestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.emails = Counter(
            "sluice_ingest_emails_total",
            "Inbound emails by transport (smtp, http) and outcome"
            " (accepted, duplicate, failed, or the refusal code)",
            ["transport", "outcome"],
            registry=self.registry,
        )
