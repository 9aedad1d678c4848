"""Token buckets per tenant: a burst, then the sustained rate, Retry-After in whole
seconds, per-tenant rates, 0 = unlimited, idle tenants forgotten."""

from __future__ import annotations

from sluice_http.rate_limit import Rate, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate_then_retry_after() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(per_s=2, burst_s=3), clock=clock)  # 6 tokens, 2 a second
    assert [buckets.take("acme") for _ in range(6)] == [None] * 6
    assert buckets.take("acme") == 1  # empty: half a second to the next token, said as 1
    clock.now += 0.5
    assert buckets.take("acme") is None
    assert buckets.take("acme") == 1
    clock.now += 60  # refills to the cap, never beyond
    assert [buckets.take("acme") for _ in range(7)] == [None] * 6 + [1]


def test_slow_rates_ask_for_longer_waits() -> None:
    buckets = TokenBuckets(Rate(per_s=0.1, burst_s=10), clock=Clock())  # 1 token per 10 s
    assert buckets.take("acme") is None
    assert buckets.take("acme") == 10


def test_tenants_have_their_own_buckets_and_rates() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(1, 1), {"big": Rate(100, 1), "free": Rate(0, 1)}, clock=clock)
    assert buckets.take("acme") is None
    assert buckets.take("acme") == 1
    assert buckets.take("other") is None  # acme's empty bucket is acme's only
    assert all(buckets.take("big") is None for _ in range(100))
    assert all(buckets.take("free") is None for _ in range(10_000))  # 0: no limit


def test_idle_tenants_are_forgotten_past_the_cap() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(1, 1), clock=clock, max_tenants=3)
    for tenant in ("a", "b", "c"):
        assert buckets.take(tenant) is None
    clock.now += 5  # all three refilled: as good as new
    assert buckets.take("d") is None
    assert len(buckets._buckets) == 1
