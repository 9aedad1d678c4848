"""A real HTTP server on a loopback address for the http.request tests (aiohttp).

Routes script their failures: ``/flaky/{key}?fail=N`` answers 500 N times per key
then 200; ``/limited/{key}`` 429 once with Retry-After; ``/slow`` sleeps;
``/big`` sends more than the cap; ``/echo`` returns what it received (with
``?status=N``); ``/redirect``
points wherever ``to`` says. Every request is recorded (method, path, headers, body).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Received:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class LocalServer:
    host: str
    port: int = 0
    received: list[Received] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    retry_after: str = "1"

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def count(self, key: str) -> int:
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key]

    async def record(self, request: web.Request) -> Received:
        got = Received(request.method, request.path, list(request.query.items()),
                       dict(request.headers), await request.read())  # fmt: skip
        self.received.append(got)
        return got

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/echo", self.echo)
        app.router.add_get("/flaky/{key}", self.flaky)
        app.router.add_get("/limited/{key}", self.limited)
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/big", self.big)
        app.router.add_get("/missing", self.missing)
        app.router.add_route("*", "/redirect", self.redirect)
        return app

    async def echo(self, request: web.Request) -> web.Response:
        got = await self.record(request)
        body = {"method": got.method, "query": dict(got.query), "headers": got.headers,
                "body": got.body.decode()}  # fmt: skip
        status = int(request.query.get("status", "200"))
        return web.json_response(body, status=status, headers={"X-Echo": "yes"})

    async def flaky(self, request: web.Request) -> web.Response:
        await self.record(request)
        if self.count(request.match_info["key"]) <= int(request.query.get("fail", "1")):
            return web.Response(status=500, text="boom")
        return web.json_response({"ok": True})

    async def limited(self, request: web.Request) -> web.Response:
        await self.record(request)
        if self.count(request.match_info["key"]) == 1:
            return web.Response(status=429, headers={"Retry-After": self.retry_after})
        return web.json_response({"ok": True})

    async def slow(self, request: web.Request) -> web.Response:
        await self.record(request)
        await asyncio.sleep(float(request.query.get("s", "2")))
        return web.Response(text="late")

    async def big(self, request: web.Request) -> web.Response:
        await self.record(request)
        return web.Response(text="x" * int(request.query.get("n", "5000")),
                            content_type="application/json")  # fmt: skip

    async def missing(self, request: web.Request) -> web.Response:
        await self.record(request)
        return web.Response(status=404, text=json.dumps({"error": "no such thing"}))

    async def redirect(self, request: web.Request) -> web.Response:
        await self.record(request)
        raise web.HTTPFound(request.query["to"])


@asynccontextmanager
async def serving(host: str = "127.0.0.1", **options: Any) -> AsyncIterator[LocalServer]:
    server = LocalServer(host, **options)
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    server.port = runner.addresses[0][1]
    try:
        yield server
    finally:
        await runner.cleanup()
