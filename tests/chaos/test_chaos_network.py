"""Network faults between the services and PostgreSQL (issue 16).

Every service (API, ingest, interpreter, executor, scheduler) reaches the
module's database through ``e2e_support.netfault.FaultyLink``, a TCP proxy the
test drives; the test's own pool goes direct. While run starts flow through the
API (keyed, retried on 503 after Retry-After), the link is delayed, then
blackholed (connections stay open, nothing gets through: the fault TCP itself
notices only after hours), then every connection is reset, then healed.

What must hold, polled every half second on every service:

- no service hangs: ``/healthz`` and ``/readyz`` always answer within 4 s (every
  PostgreSQL call is bounded: ``WF_DATABASE_COMMAND_TIMEOUT_S`` and
  ``WF_DATABASE_CONNECT_TIMEOUT_S``, short here so the test is short);
- health reports the fault: every service's ``/readyz`` turns 503 while the path
  is blackholed, and 200 again after it heals (seconds to recover printed);
- the API never answers 500, and never leaves a request unanswered: each answer
  is 201, or 503 ``UNAVAILABLE`` naming PostgreSQL with ``Retry-After``;
- work resumes: every keyed start made exactly one run, every run (those started
  during the faults and after them) SUCCEEDED with each side effect once.

``make test`` runs short faults (an 8 s blackhole); ``make chaos``
(``WF_CHAOS_FULL=1``) longer ones, twice, under more runs.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from e2e_support.helpers import FINAL, prepare, publish
from e2e_support.netfault import FaultyLink
from e2e_support.services import Services, wait_for
from e2e_support.underload import admin_token, api, check_unavailable
from sluice_messaging.admin import ensure_topics
from sluice_messaging.topics import Topics

FULL = os.environ.get("WF_CHAOS_FULL", "") == "1"
pytestmark = [pytest.mark.integration, pytest.mark.chaos, pytest.mark.timeout(900 if FULL else 420)]

SERVICES = ("api", "ingest", "interpreter", "executor", "scheduler")
COMMAND_TIMEOUT_S = 2.0  # WF_DATABASE_COMMAND_TIMEOUT_S for the services under test
# A probe slower than this counts as a hang: well above the services' bounded 0.8 s
# (a loaded 2-core machine delays any answer), well below the blackhole's length
# (an unbounded probe waits for the whole of it).
PROBE_TIMEOUT_S = 4.0
REQUEST_TIMEOUT_S = 20.0  # an API answer slower than this counts as a hang


@dataclass(frozen=True)
class Plan:
    starts: int  # run starts through the API, spread over the faults
    in_flight: int
    delay_s: float  # added to every chunk while delayed
    delayed_for_s: float
    blackhole_s: float
    rounds: int  # delay, blackhole, cut: how many times


PLAN = Plan(400, 6, 0.05, 8.0, 20.0, 2) if FULL else Plan(80, 4, 0.05, 3.0, 8.0, 1)
SETTLE_S = 240.0 if FULL else 120.0
WORKFLOW = {"name": "net-chaos", "steps": [
    {"id": "rec1", "type": "action.call",
     "config": {"actionId": "test.record", "version": 1, "args": {"n": 1}}},
    {"id": "rec2", "type": "action.call",
     "config": {"actionId": "test.record", "version": 1, "args": {"n": 2}}},
]}  # fmt: skip
RECORDS_PER_RUN = 2
AFTER_HEAL = 10  # runs started once every fault has healed


def through(dsn: str, link: FaultyLink) -> str:
    """``dsn`` with its host and port replaced by the link's."""
    parts = urlsplit(dsn)
    user = parts.netloc.rpartition("@")[0]
    netloc = f"{user}@127.0.0.1:{link.port}" if user else f"127.0.0.1:{link.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture(scope="module")
async def pg_link(e2e_database: str) -> AsyncIterator[FaultyLink]:
    parts = urlsplit(e2e_database)
    host, port = parts.hostname, parts.port
    assert host is not None, f"a TCP DSN is needed: {e2e_database}"
    assert port is not None, f"a TCP DSN is needed: {e2e_database}"
    link = await FaultyLink(host, port).start()
    yield link
    await link.close()


@pytest.fixture(scope="module")
async def linked_services(
    e2e_database: str, e2e_pool: asyncpg.Pool, pg_link: FaultyLink,
    kafka_bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Services]:  # fmt: skip
    await prepare(e2e_pool)
    topics = Topics.from_prefix(f"net{uuid.uuid4().hex}.")
    await ensure_topics(kafka_bootstrap_servers, topics, 2)
    log_dir: Path = tmp_path_factory.mktemp("net-services")
    services = Services(through(e2e_database, pg_link), kafka_bootstrap_servers,
                        topics.events.removesuffix("events"), log_dir)  # fmt: skip
    services.extra_env.update({
        "WF_EXECUTOR_APART": "true", "WF_ACTION_LEASE_S": "4", "WF_REDRIVE_AFTER_S": "8",
        "WF_LOG_LEVEL": "WARNING",
        "WF_DATABASE_COMMAND_TIMEOUT_S": str(COMMAND_TIMEOUT_S),
        "WF_DATABASE_CONNECT_TIMEOUT_S": str(COMMAND_TIMEOUT_S),
    })  # fmt: skip
    try:
        await asyncio.gather(*(services.start(name, timeout_s=90) for name in SERVICES))
        yield services
    finally:
        services.stop_all()


@dataclass
class Probes:
    """What every service's /healthz and /readyz answered, polled until ``stop``."""

    since: float = field(default_factory=time.monotonic)
    seen: list[tuple[float, str, str, int]] = field(default_factory=list)  # (t, svc, path, code)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, services: Services) -> None:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S) as client:
            while not self.stop.is_set():
                paths = ("/healthz", "/readyz")
                await asyncio.gather(*(self._probe(client, services, name, path)
                                       for name in SERVICES for path in paths))  # fmt: skip
                await asyncio.sleep(0.5)

    async def _probe(self, client: httpx.AsyncClient, services: Services, name: str,
                     path: str) -> None:  # fmt: skip
        try:
            code = (await client.get(f"http://127.0.0.1:{services.ports[name]}{path}")).status_code
        except httpx.TimeoutException:
            code = 0  # hung
        except httpx.HTTPError:
            code = -1  # refused: the process is gone
        self.seen.append((time.monotonic() - self.since, name, path, code))

    def codes(self, path: str, start: float = 0.0, end: float = float("inf")) -> Counter[int]:
        return Counter(c for t, _n, p, c in self.seen if p == path and start <= t <= end)

    def hung(self) -> dict[str, list[float]]:
        """Probes that timed out: ``service path`` -> when (seconds)."""
        found: dict[str, list[float]] = {}
        for t, n, p, c in self.seen:
            if c == 0:
                found.setdefault(f"{n} {p}", []).append(round(t, 1))
        return found

    def red(self, name: str, start: float, end: float) -> bool:
        return any(n == name and p == "/readyz" and c == 503 and start <= t <= end
                   for t, n, p, c in self.seen)  # fmt: skip

    def green_after(self, t0: float) -> float | None:
        """Seconds after ``t0`` until every service's /readyz answered 200 and kept
        answering it; None if one never did."""
        greens = []
        for name in SERVICES:
            mine = [(t, c) for t, n, p, c in self.seen if n == name and p == "/readyz" and t >= t0]
            last_red = max((t for t, c in mine if c != 200), default=t0)
            first_green = min((t for t, c in mine if c == 200 and t >= last_red), default=None)
            if first_green is None:
                return None
            greens.append(first_green)
        return max(greens) - t0


@dataclass
class Faults:
    """When each fault began and healed, seconds on the probes' clock."""

    windows: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    resets: list[int] = field(default_factory=list)

    def add(self, kind: str, start: float, end: float) -> None:
        self.windows.setdefault(kind, []).append((start, end))


async def inject(link: FaultyLink, probes: Probes, faults: Faults, answers: list[int]) -> None:
    """Delay, blackhole, cut: ``PLAN.rounds`` times, spread over the starts."""
    now = lambda: time.monotonic() - probes.since  # noqa: E731  # the probes' clock
    for k in range(PLAN.rounds):
        target = (k + 1) * PLAN.starts // (PLAN.rounds + 2)

        async def reached(target: int = target) -> bool:
            return len(answers) >= target

        await wait_for(reached, 120, f"{target} answers")
        began = now()
        link.delay(PLAN.delay_s)
        await asyncio.sleep(PLAN.delayed_for_s)
        link.heal()
        faults.add("delay", began, now())
        began = now()
        link.blackhole()
        await asyncio.sleep(PLAN.blackhole_s)
        link.heal()
        faults.add("blackhole", began, now())
        await asyncio.sleep(2.0)
        began = now()
        faults.resets.append(link.cut())
        faults.add("cut", began, now())
        await asyncio.sleep(2.0)


async def start_keyed(client: httpx.AsyncClient, workflow_id: str, i: int,
                      answers: list[int], slow: list[float]) -> None:  # fmt: skip
    """One keyed start, retried on 503 after Retry-After until it is 201."""
    body = {"workflowId": workflow_id, "payload": {"i": i}}
    while True:
        began = time.monotonic()
        try:
            answer = await client.post("/workflow-runs", json=body,
                                       headers={"Idempotency-Key": f"net-{i}"})  # fmt: skip
        except httpx.TimeoutException:
            answers.append(0)  # hung: counted, asserted below
            continue
        slow.append(time.monotonic() - began)
        answers.append(answer.status_code)
        if answer.status_code != 503:
            assert answer.status_code == 201, answer.text
            return
        check_unavailable(answer)
        await asyncio.sleep(int(answer.headers["retry-after"]))


async def counts(pool: asyncpg.Pool, tenant: str) -> dict[str, int]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT count(*) AS runs, count(DISTINCT payload->>'i') AS distinct_starts,
                      count(*) FILTER (WHERE status = 'SUCCEEDED') AS succeeded,
                      count(*) FILTER (WHERE status = ANY($2)) AS final,
                      (SELECT count(*) FROM test_action_rows WHERE tenant_id = $1) AS effects,
                      (SELECT count(DISTINCT idempotency_key) FROM test_action_rows
                       WHERE tenant_id = $1) AS effect_keys,
                      (SELECT count(*) FROM outbox WHERE tenant_id = $1 AND sent_at IS NULL)
                        AS outbox_unsent
               FROM workflow_runs WHERE tenant_id = $1""",
            tenant, list(FINAL),
        )  # fmt: skip
    assert row is not None
    return {k: int(v) for k, v in dict(row).items()}


async def first_done_after(pool: asyncpg.Pool, tenant: str, first_i: int) -> float | None:
    """Seconds from the test's start (the earliest run) to the first run numbered
    ``first_i`` or later reaching SUCCEEDED; None while there is none."""
    async with pool.acquire() as conn:
        seconds = await conn.fetchval(
            """SELECT extract(epoch FROM min(completed_at) FILTER (WHERE (payload->>'i')::int
                        >= $2 AND status = 'SUCCEEDED') - min(started_at))::float8
               FROM workflow_runs WHERE tenant_id = $1""",
            tenant, first_i,
        )  # fmt: skip
    return None if seconds is None else float(seconds)


async def test_postgres_path_delayed_blackholed_cut_then_healed(
    pg_link: FaultyLink, e2e_pool: asyncpg.Pool, linked_services: Services,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    tenant, began = f"net-{uuid.uuid4().hex[:8]}", time.monotonic()
    workflow_id = await publish(e2e_pool, tenant, WORKFLOW)
    probes, faults = Probes(), Faults()
    answers: list[int] = []
    slow: list[float] = []
    watching = asyncio.ensure_future(probes.run(linked_services))
    slots = asyncio.Semaphore(PLAN.in_flight)

    async def one(client: httpx.AsyncClient, i: int) -> None:
        async with slots:
            await start_keyed(client, workflow_id, i, answers, slow)

    async with api(linked_services, await admin_token(e2e_pool, tenant)) as client:
        client.timeout = httpx.Timeout(REQUEST_TIMEOUT_S)
        await asyncio.gather(inject(pg_link, probes, faults, answers),
                             *(one(client, i) for i in range(PLAN.starts)))  # fmt: skip
        # Work resumes on the healed path: a last batch, started now, must all finish.
        healed = time.monotonic()
        await asyncio.gather(*(one(client, PLAN.starts + i) for i in range(AFTER_HEAL)))
    first_after = await wait_for(lambda: first_done_after(e2e_pool, tenant, PLAN.starts),
                                 SETTLE_S, "a run started after the heal to finish")  # fmt: skip
    resumed_s = first_after - (healed - began)

    async def settled() -> dict[str, int] | None:
        found = await counts(e2e_pool, tenant)
        done = found["final"] == found["runs"] and found["outbox_unsent"] == 0
        return found if done else None

    found: dict[str, int] = await wait_for(settled, SETTLE_S, "every run final", linked_services)
    await asyncio.sleep(1.5)  # a few more probe rounds on the healed path
    probes.stop.set()
    await watching
    blackholes = faults.windows["blackhole"]
    red = {n: all(probes.red(n, s, e + PROBE_TIMEOUT_S) for s, e in blackholes) for n in SERVICES}
    green_s = [probes.green_after(e) for _s, e in blackholes]
    with capsys.disabled():
        print(
            f"\nnetwork (PostgreSQL path): delay {PLAN.delay_s * 1000:.0f} ms for "
            f"{PLAN.delayed_for_s:.0f} s, blackhole {PLAN.blackhole_s:.0f} s, cut: x{PLAN.rounds}; "
            f"link accepted {pg_link.accepted} connections, reset {faults.resets}; API answers "
            f"{dict(Counter(answers))}, slowest {max(slow):.1f} s; /healthz "
            f"{dict(probes.codes('/healthz'))}, /readyz {dict(probes.codes('/readyz'))} "
            f"(0 = hung: {probes.hung()}); /readyz red during every blackhole {red}, all "
            f"green again "
            f"{[None if g is None else round(g, 1) for g in green_s]} s after it healed; runs "
            f"checked {found['runs']} ({found['distinct_starts']} keys), succeeded "
            f"{found['succeeded']}, side effects {found['effects']} (duplicates "
            f"{found['effects'] - found['effect_keys']}); {AFTER_HEAL} started after the last "
            f"heal, the first done {resumed_s:.1f} s after; {time.monotonic() - began:.1f} s"
        )
    assert 0 not in probes.codes("/healthz")  # no hang
    assert 0 not in probes.codes("/readyz")
    assert -1 not in probes.codes("/healthz")  # and no service died
    assert set(probes.codes("/healthz")) == {200}
    assert all(red.values()), red  # the fault reported by every service
    assert all(g is not None for g in green_s), green_s  # and cleared
    assert Counter(answers)[500] == 0
    assert Counter(answers)[0] == 0  # no request left hanging
    assert Counter(answers)[503] > 0  # the starts met the faults
    assert set(answers) <= {201, 503}
    assert all(n > 0 for n in faults.resets), faults.resets  # the cut hit live connections
    total = PLAN.starts + AFTER_HEAL
    assert found["runs"] == found["distinct_starts"] == found["succeeded"] == total
    assert found["effects"] == found["effect_keys"] == total * RECORDS_PER_RUN
