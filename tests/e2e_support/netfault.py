"""A TCP proxy that misbehaves on demand: the network between a service and its
PostgreSQL or Kafka, for the network-fault chaos suite.

``FaultyLink`` listens on a free local port and forwards every connection to
``upstream``. Faults, each until ``heal()``:

- ``delay(s)``: every chunk waits ``s`` before it is forwarded (order kept);
- ``blackhole()``: connections stay open but nothing gets through, and new ones
  are accepted but never reach the upstream, as when a firewall drops packets;
  the bytes are held, not lost, so a connection that outlives the fault goes on
  (TCP retransmits), as it would on a real network;
- ``cut()``: every open connection is reset (RST to both ends) at once; new
  connections are unaffected.

It counts what it did (connections accepted, reset, bytes forwarded) so a test
can show that its traffic really went through the link.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field

CHUNK = 64 * 1024


@dataclass(eq=False)  # hashed by identity: the link keeps a set of them
class Pipe:
    """One proxied connection: the client's side and the upstream's."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def reset(self) -> None:
        for writer in (self.client, self.upstream):
            if writer is not None:
                _abort(writer)
        for task in self.tasks:
            task.cancel()


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with an RST (SO_LINGER 0), as a router or a dead peer's kernel does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
    writer.close()  # the writer itself marked closed too (no "unclosed" warning)


@dataclass
class FaultyLink:
    upstream_host: str
    upstream_port: int
    port: int = 0  # where it listens (127.0.0.1), chosen at start
    delay_s: float = 0.0
    accepted: int = 0
    resets: int = 0
    forwarded_bytes: int = 0
    _open: asyncio.Event = field(default_factory=asyncio.Event)
    _pipes: set[Pipe] = field(default_factory=set)
    _server: asyncio.Server | None = None

    async def start(self) -> FaultyLink:
        self._open.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        self.heal()
        if self._server is not None:
            self._server.close()
        for pipe in list(self._pipes):
            pipe.reset()
        self._pipes.clear()

    # --- faults -------------------------------------------------------------------

    def delay(self, seconds: float) -> None:
        self.delay_s = seconds

    def blackhole(self) -> None:
        self._open.clear()

    def cut(self) -> int:
        """Reset every open connection; how many there were."""
        pipes, self._pipes = list(self._pipes), set()
        for pipe in pipes:
            pipe.reset()
        self.resets += len(pipes)
        return len(pipes)

    def heal(self) -> None:
        self.delay_s = 0.0
        self._open.set()

    @property
    def connections(self) -> int:
        return len(self._pipes)

    # --- forwarding ---------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        pipe = Pipe(writer)
        self._pipes.add(pipe)
        try:
            await self._open.wait()  # blackholed: accepted, never connected upstream
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except (OSError, asyncio.CancelledError):
            self._drop(pipe)
            return
        pipe.upstream = up_writer
        pipe.tasks = [
            asyncio.ensure_future(self._pump(reader, up_writer)),
            asyncio.ensure_future(self._pump(up_reader, writer)),
        ]
        await asyncio.wait(pipe.tasks, return_when=asyncio.FIRST_COMPLETED)
        self._drop(pipe)

    def _drop(self, pipe: Pipe) -> None:
        if pipe in self._pipes:
            self._pipes.discard(pipe)
            for side in (pipe.client, pipe.upstream):
                if side is not None:
                    side.close()
            for task in pipe.tasks:
                task.cancel()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(CHUNK):
                await self._open.wait()  # blackholed: held until healed
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                    await self._open.wait()
                writer.write(data)
                await writer.drain()
                self.forwarded_bytes += len(data)
