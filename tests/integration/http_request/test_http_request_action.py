"""The http.request handler against a real local HTTP server (aiohttp), no mocks of httpx.

Each failure is checked through the executor's ``classify`` (the one transient
rule), so what a test asserts is exactly what the step's retry policy sees.
"""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from e2e_support.http_server import serving
from pydantic import JsonValue
from sluice_engine import ActionCall, ActionServices
from sluice_engine.executor import classify
from sluice_http_request import HttpRequestAction
from sluice_http_request.guard import IPAddress
from sluice_secrets import EnvProvider, SecretResolver
from workflow_core.errors import ErrorCategory
from workflow_core.interpreter.commands import ActionFailure

TENANT = "http-tests"
CANARY = "canary-" + uuid.uuid4().hex
LOOPBACK_1 = {TENANT: ("127.0.0.1/32",)}


def services(networks: dict[str, tuple[str, ...]] | None = None) -> ActionServices:
    environ = {f"WF_SECRET_{TENANT.upper().replace('-', '_')}__API_TOKEN": CANARY}
    return ActionServices(
        secrets=SecretResolver({"env": EnvProvider(environ)}),
        private_networks=LOOPBACK_1 if networks is None else networks,
    )


def call(args: dict[str, JsonValue], svc: ActionServices | None = None) -> ActionCall:
    return ActionCall(
        tenant_id=TENANT, run_id=str(uuid.uuid4()), step_id="http", action_id="http.request",
        version=1, idempotency_key="run-1:http", attempt=1, args=args,
        services=svc or services(),
    )  # fmt: skip


async def failure_of(action: HttpRequestAction, args: dict[str, JsonValue],
                     svc: ActionServices | None = None) -> ActionFailure:  # fmt: skip
    try:
        await action(call(args, svc))
    except Exception as exc:  # any failure: the executor classifies what the handler raised
        return classify(exc)
    raise AssertionError(f"{args['url']} did not fail")


async def test_json_response_is_parsed_and_the_idempotency_key_sent() -> None:
    async with serving() as server:
        out: Any = await HttpRequestAction()(call({
            "method": "POST", "url": server.url("/echo"), "query": {"q": "a b", "n": [1, 2]},
            "json": {"hello": "world"}, "headers": {"X-Trace": "t-1"}}))  # fmt: skip
    got = server.received[0]
    assert got.headers["Idempotency-Key"] == "run-1:http"
    assert got.query == [("q", "a b"), ("n", "1"), ("n", "2")]
    assert got.headers["Content-Type"] == "application/json"
    assert out["status"] == 200
    assert out["ok"] is True
    assert out["truncated"] is False
    assert out["headers"]["x-echo"] == "yes"
    assert out["body"]["body"] == '{"hello":"world"}'  # parsed: the server's JSON is a dict
    assert out["body"]["headers"]["X-Trace"] == "t-1"


async def test_a_secret_header_reaches_the_server_but_never_the_output() -> None:
    headers: dict[str, JsonValue] = {
        "Authorization": {"secretRef": "env:API_TOKEN", "prefix": "Bearer "}
    }
    async with serving() as server:
        out = await HttpRequestAction()(call({"url": server.url("/echo"), "headers": headers}))
    assert server.received[0].headers["Authorization"] == f"Bearer {CANARY}"
    assert CANARY not in str(out)  # the echo of the header is scrubbed
    assert out["body"]["headers"]["Authorization"] == "Bearer ***"  # type: ignore[index,call-overload]


async def test_an_unknown_secret_is_a_permanent_error_naming_it() -> None:
    headers: dict[str, JsonValue] = {"X-Key": {"secretRef": "env:NOPE"}}
    async with serving() as server:
        failure = await failure_of(HttpRequestAction(), {"url": server.url("/echo"),
                                                         "headers": headers})  # fmt: skip
    assert (failure.name, failure.retryable) == ("SECRET_NOT_FOUND", False)
    assert "env:NOPE" in failure.message
    assert server.received == []  # nothing was sent


async def test_a_500_is_transient_for_the_retry_policy() -> None:
    async with serving() as server:
        failure = await failure_of(HttpRequestAction(), {"url": server.url("/flaky/a?fail=1")})
        second = await HttpRequestAction()(call({"url": server.url("/flaky/a?fail=1")}))
    assert (failure.category, failure.name, failure.retryable) == (
        ErrorCategory.TRANSIENT, "HTTP_500", True)  # fmt: skip
    assert failure.data["status"] == 500
    assert second["status"] == 200  # type: ignore[index,call-overload]


@pytest.mark.parametrize("retry_after", ["7", "HTTP-DATE"])
async def test_a_429_carries_retry_after_in_seconds_or_as_a_date(retry_after: str) -> None:
    now = datetime(2026, 12, 7, 20, 0, 0, tzinfo=UTC)
    value = "Mon, 07 Dec 2026 20:00:07 GMT" if retry_after == "HTTP-DATE" else retry_after
    async with serving(retry_after=value) as server:
        failure = await failure_of(HttpRequestAction(clock=lambda: now),
                                   {"url": server.url("/limited/k")})  # fmt: skip
    assert (failure.category, failure.name) == (ErrorCategory.TRANSIENT, "HTTP_429")
    assert failure.data["retryAfterMs"] == 7000


async def test_a_timeout_is_transient() -> None:
    async with serving() as server:
        failure = await failure_of(HttpRequestAction(),
                                   {"url": server.url("/slow?s=3"), "timeoutMs": 300})  # fmt: skip
    assert (failure.category, failure.retryable) == (ErrorCategory.TRANSIENT, True)
    assert failure.name in ("ReadTimeout", "TimeoutError")


async def test_a_404_is_a_permanent_client_error() -> None:
    async with serving() as server:
        failure = await failure_of(HttpRequestAction(), {"url": server.url("/missing")})
    assert (failure.category, failure.name, failure.retryable) == (
        ErrorCategory.ACTION, "HTTP_CLIENT_ERROR", False)  # fmt: skip
    assert failure.data["status"] == 404
    assert "no such thing" in str(failure.data["body"])


async def test_an_oversized_body_is_cut_with_a_truncation_marker() -> None:
    async with serving() as server:
        out: Any = await HttpRequestAction()(call(
            {"url": server.url("/big?n=5000"), "maxResponseBytes": 1000}))  # fmt: skip
    assert out["truncated"] is True
    assert out["bytes"] == 1000
    assert out["body"]["$truncated"] is True
    assert out["body"]["originalBytes"] == 5000
    assert out["body"]["text"] == "x" * 1000


async def test_a_redirect_to_127_0_0_1_is_refused() -> None:
    # The first hop (127.0.0.2) is allowed for this tenant; 127.0.0.1 is not.
    allowed = {TENANT: ("127.0.0.2/32",)}
    async with serving("127.0.0.2") as first, serving("127.0.0.1") as target:
        failure = await failure_of(
            HttpRequestAction(),
            {"url": first.url(f"/redirect?to={target.url('/echo')}")},
            services(allowed),
        )
    assert (failure.name, failure.retryable) == ("DESTINATION_REFUSED", False)
    assert "127.0.0.1" in failure.message
    assert "loopback" in failure.message
    assert len(first.received) == 1
    assert target.received == []


async def test_a_redirect_within_the_allowed_networks_is_followed() -> None:
    async with serving() as server:
        out: Any = await HttpRequestAction()(call(
            {"url": server.url(f"/redirect?to={server.url('/echo')}")}))  # fmt: skip
    assert out["status"] == 200
    assert out["url"].endswith("/echo")


async def test_a_name_resolving_to_a_loopback_address_is_refused() -> None:
    async with serving() as server:  # "localhost" through the system resolver
        url = server.url("/echo").replace("127.0.0.1", "localhost")
        failure = await failure_of(HttpRequestAction(), {"url": url}, services({}))
    assert failure.name == "DESTINATION_REFUSED"
    assert "localhost" in failure.message
    assert server.received == []


async def test_a_name_is_resolved_once_and_the_checked_address_is_what_is_connected() -> None:
    """DNS rebinding: the resolver's first answer is checked and used; the name is never
    handed to the connection (it does not resolve at all outside this resolver)."""
    answers: list[list[IPAddress]] = [[ipaddress.ip_address("127.0.0.1")],
                                      [ipaddress.ip_address("10.0.0.9")]]  # fmt: skip

    async def rebinding(host: str, port: int) -> list[IPAddress]:
        return answers.pop(0)

    async with serving() as server:
        url = f"http://rebind.invalid:{server.port}/echo"
        out: Any = await HttpRequestAction(resolve=rebinding)(call({"url": url}))
    assert out["status"] == 200
    assert server.received[0].headers["Host"] == f"rebind.invalid:{server.port}"
    assert len(answers) == 1  # resolved exactly once


async def test_a_name_resolving_to_a_private_address_is_refused_before_any_connection() -> None:
    async def private(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("10.0.0.9")]

    failure = await failure_of(HttpRequestAction(resolve=private),
                               {"url": "http://intranet.invalid/x"})  # fmt: skip
    assert failure.name == "DESTINATION_REFUSED"
    assert "a private address" in failure.message


async def test_form_body_and_a_secret_inside_it() -> None:
    form: dict[str, JsonValue] = {"user": "ops", "password": {"secretRef": "env:API_TOKEN"}}
    async with serving() as server:
        out: Any = await HttpRequestAction()(call({"method": "POST", "url": server.url("/echo"),
                                                   "form": form}))  # fmt: skip
    assert server.received[0].body.decode() == f"user=ops&password={CANARY}"
    assert server.received[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert out["body"]["body"] == "user=ops&password=***"
