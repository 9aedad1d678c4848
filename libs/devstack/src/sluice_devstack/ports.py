"""Ports: pick free ones for tests, refuse taken ones with a useful message."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import psutil

from sluice_devstack.errors import PortInUseError

# Ports free_port has handed out in this process: callers pick several (Kafka's
# broker and controller listeners, PostgreSQL, each service) before any is bound,
# and the kernel may offer the same free port twice in a row.
_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the kernel's pick), never one this
    process was already given."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def free_port_block(count: int, host: str = "127.0.0.1") -> int:
    """The first of ``count`` consecutive free ports (a local Kafka cluster's brokers
    and controllers), none handed out before by ``free_port``."""
    while True:
        first = free_port(host)
        block = range(first, first + count)
        if all(p == first or (p not in _handed_out and port_is_free(host, p)) for p in block):
            _handed_out.update(block)
            return first


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR: a port left in TIME_WAIT by our own last run is usable.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def ensure_port_free(host: str, port: int, what: str, setting: str) -> None:
    """Raise PortInUseError, naming the owner when the OS tells us, if taken."""
    if port_is_free(host, port):
        return
    owner = _listener_description(port)
    raise PortInUseError(
        f"{what} cannot listen on {host}:{port}: the port is already in use{owner}. "
        f"Stop that process, or choose another port with {setting}=<port>."
    )


def _listener_description(port: int) -> str:
    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                if conn.pid is None:
                    return ""
                proc = psutil.Process(conn.pid)
                return f" by pid {conn.pid} ({' '.join(proc.cmdline())[:120]})"
    return ""


async def accepts_connections(host: str, port: int) -> bool:
    """True when a TCP connect succeeds (the listener is up)."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
