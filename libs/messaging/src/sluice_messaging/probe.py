"""Does Kafka answer? For readiness checks of the services that need it.

One metadata request to any broker the client knows, within a short timeout,
on a client kept open between checks (a probe every few seconds must not open a
connection each time). A cluster with one broker down still answers; a broker
that was restarted is found again (aiokafka reconnects on the next request).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError

# A probe must answer well inside a Kubernetes probe timeout (1 s default).
PROBE_TIMEOUT_S = 0.8


class KafkaProbe:
    """``await probe.answers()``: True when a broker answered a metadata request in time."""

    def __init__(
        self, bootstrap_servers: str, timeout_s: float = PROBE_TIMEOUT_S, **client_options: Any
    ) -> None:
        self._timeout_s = timeout_s
        self._client = AIOKafkaClient(
            bootstrap_servers=bootstrap_servers,
            request_timeout_ms=int(timeout_s * 1000),
            **client_options,
        )
        self._bootstrapped = False
        self._lock = asyncio.Lock()  # concurrent probes share one request

    async def answers(self) -> bool:
        async with self._lock:
            try:
                async with asyncio.timeout(self._timeout_s):
                    if not self._bootstrapped:
                        await self._client.bootstrap()
                        self._bootstrapped = True
                    await self._client.fetch_all_metadata()
            except (KafkaError, OSError, TimeoutError):
                return False
            return True

    async def close(self) -> None:
        with contextlib.suppress(KafkaError, OSError):
            await self._client.close()
