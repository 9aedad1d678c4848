"""The SSRF guard: where an ``http.request`` may connect, decided after DNS resolution.

A destination is resolved once (``resolve``), every address it resolves to is
checked, and the request then connects to that checked address (the URL's host
becomes the IP; ``Host`` and TLS SNI keep the name), so a DNS answer that
changes between the check and the connection (rebinding) is never used. Every
redirect hop goes through the same check.

Refused unless the tenant's ``WF_HTTP_ALLOW_NETWORKS`` entry contains the
address: loopback, private (RFC 1918), CGNAT (100.64/10, where some clouds keep
their metadata service), link-local (169.254/16, the metadata address of AWS,
GCP and Azure), unique-local v6 (fc00::/7, AWS's fd00:ec2::254), unspecified,
multicast, reserved and documentation ranges: anything that is not a global
unicast address. IPv4 written inside IPv6 (``::ffff:10.0.0.1``, 6to4, NAT64
``64:ff9b::``) is judged by the IPv4 address inside.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolve = Callable[[str, int], Awaitable[list[IPAddress]]]

CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class DestinationRefusedError(Exception):
    """The destination resolves to an address this tenant may not reach."""

    def __init__(self, host: str, address: IPAddress | None, reason: str) -> None:
        where = f"{host} ({address})" if address is not None and str(address) != host else host
        super().__init__(f"refused to connect to {where}: {reason}")
        self.host = host
        self.address = address
        self.reason = reason


def embedded_v4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` is not a public destination (None: it is one)."""
    inner = embedded_v4(address)
    checks: Sequence[tuple[bool, str]] = (
        (inner in METADATA, "a cloud metadata address"),
        (inner.is_loopback, "a loopback address"),
        (inner.is_link_local, "a link-local address"),
        (
            isinstance(inner, ipaddress.IPv4Address) and inner in CGNAT,
            "a CGNAT (100.64/10) address",
        ),
        (inner.is_unspecified, "an unspecified address"),
        (inner.is_multicast, "a multicast address"),
        (inner.is_private, "a private address"),
        (not inner.is_global, "not a public address"),
    )
    return next((reason for hit, reason in checks if hit), None)


@dataclass(frozen=True)
class Policy:
    """The networks one tenant may reach despite the guard."""

    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, cidrs: Iterable[str]) -> Policy:
        return cls(tuple(ipaddress.ip_network(c, strict=False) for c in cidrs))

    def check(self, host: str, addresses: Sequence[IPAddress]) -> IPAddress:
        """The address to connect to; refused if ANY answer is refused (a name that
        mixes public and private answers is not trusted with either)."""
        if not addresses:
            raise DestinationRefusedError(host, None, "the name resolves to no address")
        for address in addresses:
            reason = refusal(address)
            if reason is not None and not self.allows(address):
                raise DestinationRefusedError(host, address, reason)
        return addresses[0]

    def allows(self, address: IPAddress) -> bool:
        inner = embedded_v4(address)
        return any(inner in net or address in net for net in self.allowed)


async def system_resolve(host: str, port: int) -> list[IPAddress]:
    """The system resolver (getaddrinfo), every answer, first preference first."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    return seen


async def destination(host: str, port: int, policy: Policy, resolve: Resolve) -> IPAddress:
    """Resolve (unless ``host`` is an IP literal) and check; the address to connect to."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    addresses = [literal] if literal is not None else await resolve(host, port)
    return policy.check(host, addresses)
