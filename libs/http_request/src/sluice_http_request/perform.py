"""Sending one ``http.request``: the request built from resolved args, then each hop
resolved, checked by the guard and connected to by address, redirects followed by hand.

httpx's own redirect following and environment proxies are off: either would
connect somewhere the guard never checked. Each hop connects to the address the
guard approved (the URL's host replaced by it), with ``Host`` and TLS SNI (and
so certificate verification) still naming the host.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx
from pydantic import JsonValue
from sluice_config.clock import Clock
from sluice_engine import ActionFailedError

from sluice_http_request.contract import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT_MS,
    MAX_REDIRECTS,
)
from sluice_http_request.guard import Policy, Resolve, destination
from sluice_http_request.response import failure_for, output, read_capped

REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Headers never carried to another origin on a redirect (besides those holding secrets).
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_SSL: ssl.SSLContext | None = None


def ssl_context() -> ssl.SSLContext:
    """One verifying context per process (building one reads the CA bundle: ~10 ms)."""
    global _SSL
    if _SSL is None:
        _SSL = ssl.create_default_context()
    return _SSL


@dataclass(frozen=True)
class Prepared:
    method: str
    url: httpx.URL
    headers: dict[str, str]
    content: bytes | None
    timeout_s: float
    max_bytes: int
    follow: bool
    secret_headers: frozenset[str]  # lower-cased names whose value came from a secretRef


def _text(value: JsonValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query(query: Mapping[str, JsonValue]) -> list[tuple[str, str | int | float | bool | None]]:
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for name, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, _text(item)))
    return pairs


def prepare(args: Mapping[str, Any], raw: Mapping[str, Any], idempotency_key: str) -> Prepared:
    """``args`` with secrets resolved; ``raw`` as the run holds them (to know which
    headers carry secrets)."""
    headers = {str(k): str(v) for k, v in (args.get("headers") or {}).items()}
    secret_headers = frozenset(
        k.lower() for k, v in (raw.get("headers") or {}).items() if isinstance(v, dict)
    )
    content: bytes | None = None
    if "json" in args:
        content = json.dumps(args["json"], separators=(",", ":"), ensure_ascii=False).encode()
        _default(headers, "Content-Type", "application/json")
    elif "form" in args:
        form: list[tuple[str, str | int | float | bool | None]] = [
            (str(k), _text(v)) for k, v in args["form"].items()
        ]
        content = str(httpx.QueryParams(form)).encode()
        _default(headers, "Content-Type", "application/x-www-form-urlencoded")
    header = args.get("idempotencyHeader", "Idempotency-Key")
    if isinstance(header, str):
        _set(headers, header, idempotency_key)
    url = httpx.URL(str(args["url"]))
    if args.get("query"):
        url = url.copy_merge_params(_query(args["query"]))
    return Prepared(
        method=str(args.get("method", "GET")), url=url, headers=headers, content=content,
        timeout_s=int(args.get("timeoutMs", DEFAULT_TIMEOUT_MS)) / 1000,
        max_bytes=int(args.get("maxResponseBytes", DEFAULT_MAX_RESPONSE_BYTES)),
        follow=bool(args.get("followRedirects", True)), secret_headers=secret_headers,
    )  # fmt: skip


def _default(headers: dict[str, str], name: str, value: str) -> None:
    if not any(k.lower() == name.lower() for k in headers):
        headers[name] = value


def _set(headers: dict[str, str], name: str, value: str) -> None:
    for key in [k for k in headers if k.lower() == name.lower()]:
        del headers[key]
    headers[name] = value


async def perform(
    prepared: Prepared, policy: Policy, resolve: Resolve, clock: Clock
) -> dict[str, JsonValue]:
    timeout = httpx.Timeout(prepared.timeout_s)
    async with httpx.AsyncClient(
        trust_env=False, follow_redirects=False, verify=ssl_context(), timeout=timeout
    ) as client:
        current = prepared
        for _hop in range(MAX_REDIRECTS + 1):
            response = await _send(client, current, policy, resolve)
            try:
                following = _redirect(current, response)
                if following is None:
                    body = await read_capped(response, current.max_bytes)
            finally:
                await response.aclose()
            if following is not None:
                current = following
                continue
            failure = failure_for(response, body, str(current.url), clock())
            if failure is not None:
                raise failure
            return output(response, body, str(current.url))
    raise ActionFailedError(
        f"more than {MAX_REDIRECTS} redirects from {prepared.url}", name="TOO_MANY_REDIRECTS"
    )


async def _send(
    client: httpx.AsyncClient, prepared: Prepared, policy: Policy, resolve: Resolve
) -> httpx.Response:
    url = prepared.url
    if url.scheme not in ("http", "https") or not url.host:
        raise ActionFailedError(f"not an http(s) URL: {url}", name="INVALID_URL")
    port = url.port or (443 if url.scheme == "https" else 80)
    address = await destination(url.host, port, policy, resolve)
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    request = client.build_request(
        prepared.method, url.copy_with(host=str(address)),
        headers={**prepared.headers, "Host": url.netloc.decode("ascii")},
        content=prepared.content, extensions=extensions,
    )  # fmt: skip
    return await client.send(request, stream=True)


def _redirect(prepared: Prepared, response: httpx.Response) -> Prepared | None:
    """The next hop of a redirect to follow (None: this response is the answer)."""
    location = response.headers.get("location")
    if not prepared.follow or response.status_code not in REDIRECTS or not location:
        return None
    target = prepared.url.join(location)
    method, content, headers = prepared.method, prepared.content, dict(prepared.headers)
    if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
        method = "GET" if method != "HEAD" else method
        content = None
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    if (target.scheme, target.host, target.port) != (
        prepared.url.scheme, prepared.url.host, prepared.url.port,
    ):  # fmt: skip
        dropped = CREDENTIAL_HEADERS | prepared.secret_headers
        headers = {k: v for k, v in headers.items() if k.lower() not in dropped}
    return replace(prepared, method=method, url=target, content=content, headers=headers)
