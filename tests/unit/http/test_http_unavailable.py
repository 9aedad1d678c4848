"""Transient trouble is not a bug (issue 16): every error the one transient rule
(``sluice_engine.transient``) names, raised by a route or found behind a wrapper,
answers 503 ``UNAVAILABLE`` problem+json with ``Retry-After`` and the dependency;
anything else stays a 500."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest
from aiokafka.errors import KafkaConnectionError, RequestTimedOutError
from fastapi import FastAPI
from sluice_devstack.ports import free_port
from sluice_http import install_problem_handlers, sluice_router
from sluice_http.openapi import install_openapi


async def refused_by_postgres() -> None:
    """A real connection attempt to a port nobody listens on (raised inside asyncpg)."""
    await asyncpg.connect(f"postgresql://x@127.0.0.1:{free_port()}/x", timeout=5)


def raiser(exc: BaseException) -> Callable[[], None]:
    def fail() -> None:
        raise exc

    return fail


def wrapped() -> None:
    try:
        raise asyncpg.exceptions.AdminShutdownError("terminating connection")
    except asyncpg.PostgresError as exc:
        raise RuntimeError("the engine gave up") from exc


CASES: dict[str, tuple[Callable[[], object], str]] = {
    "lost": (raiser(asyncpg.exceptions.ConnectionDoesNotExistError("closed mid-op")), "PostgreSQL"),
    "terminated": (raiser(asyncpg.exceptions.AdminShutdownError("admin cmd")), "PostgreSQL"),
    "crash": (raiser(asyncpg.exceptions.CrashShutdownError("crash")), "PostgreSQL"),
    "starting": (raiser(asyncpg.exceptions.CannotConnectNowError("starting up")), "PostgreSQL"),
    "interface": (raiser(asyncpg.InterfaceError("connection is closed")), "PostgreSQL"),
    "refused": (refused_by_postgres, "PostgreSQL"),
    "kafka": (raiser(KafkaConnectionError("no broker")), "Kafka"),
    "kafka-timeout": (raiser(RequestTimedOutError()), "Kafka"),
    "acquire-timeout": (raiser(TimeoutError()), "PostgreSQL or Kafka"),
    "wrapped": (wrapped, "PostgreSQL"),
    "group": (raiser(ExceptionGroup("tasks", [ValueError("x"), KafkaConnectionError()])), "Kafka"),
    "outside": (raiser(httpx.ConnectTimeout("webhook target")), "An outside service"),
}


def endpoint(fail: Callable[[], object]) -> Callable[[], Awaitable[None]]:
    async def route() -> None:
        result = fail()
        if isinstance(result, Awaitable):
            await result  # refused_by_postgres: a coroutine

    return route


@pytest.fixture
def client() -> httpx.AsyncClient:
    app = FastAPI()
    router = sluice_router()
    for name, (fail, _) in CASES.items():
        router.add_api_route(f"/{name}", endpoint(fail), methods=["POST"])

    @router.post("/bug")
    async def bug() -> None:
        raise RuntimeError("a plain bug")

    app.include_router(router)
    install_problem_handlers(app)
    install_openapi(app)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


@pytest.mark.parametrize("name", sorted(CASES))
async def test_transient_error_answers_503_with_retry_after(
    client: httpx.AsyncClient, name: str
) -> None:
    answer = await client.post(f"/{name}")
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) > 0
    body = answer.json()
    assert body["code"] == "UNAVAILABLE"
    assert body["detail"].startswith(CASES[name][1] + " is unreachable"), body["detail"]


async def test_a_bug_is_still_500(client: httpx.AsyncClient) -> None:
    answer = await client.post("/bug")
    assert (answer.status_code, answer.json()["code"]) == (500, "INTERNAL_ERROR")


async def test_every_route_declares_503_with_retry_after(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    for path, item in document["paths"].items():
        declared = item["post"]["responses"]["503"]
        assert declared["headers"]["Retry-After"]["schema"]["type"] == "integer", path
        assert declared["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
