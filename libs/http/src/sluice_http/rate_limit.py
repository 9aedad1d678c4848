"""Per-tenant request rate limits: a token bucket per tenant, in each API process.

A tenant's bucket holds up to ``rate * burst_s`` tokens and refills at ``rate``
tokens a second; a request takes one, and a request that finds none is refused
(429 ``RATE_LIMITED``) with ``Retry-After``: the whole seconds until a token is
back. Buckets are in memory: with N API replicas behind a balancer a tenant may
reach N times its rate (limits are per process by design: no shared state on the
request path). A bucket that has refilled completely is the same as none, so
idle tenants are dropped once more than ``max_tenants`` are tracked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rate:
    per_s: float  # sustained requests a second; 0 = unlimited
    burst_s: float  # the bucket holds this many seconds of the rate

    @property
    def capacity(self) -> float:
        return max(1.0, self.per_s * self.burst_s)


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class TokenBuckets:
    default: Rate
    overrides: Mapping[str, Rate] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    max_tenants: int = 10_000
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def rate(self, tenant_id: str) -> Rate:
        return self.overrides.get(tenant_id, self.default)

    def take(self, tenant_id: str) -> int | None:
        """None when the request may go; else the seconds to wait (at least 1)."""
        rate = self.rate(tenant_id)
        if rate.per_s <= 0:
            return None
        now = self.clock()
        bucket = self._buckets.get(tenant_id)
        if bucket is None:
            self._forget_idle(now)
            bucket = self._buckets[tenant_id] = _Bucket(rate.capacity, now)
        bucket.tokens = min(rate.capacity, bucket.tokens + (now - bucket.at) * rate.per_s)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / rate.per_s))

    def _forget_idle(self, now: float) -> None:
        if len(self._buckets) < self.max_tenants:
            return
        for tenant_id, bucket in list(self._buckets.items()):
            rate = self.rate(tenant_id)
            if rate.per_s <= 0 or bucket.tokens + (now - bucket.at) * rate.per_s >= rate.capacity:
                del self._buckets[tenant_id]
