"""The SSRF guard's address rules (pure): what is refused, why, and the tenant allow-list."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from sluice_http_request import DestinationRefusedError, Policy, refusal, retry_after


@pytest.mark.parametrize(
    ("address", "reason"),
    [("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"),
     ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("169.254.10.1", "link-local"),
     ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
     ("100.100.100.200", "metadata"), ("100.64.0.1", "CGNAT"), ("fd12:3456::1", "private"),
     ("fe80::1", "link-local"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
     ("::ffff:10.0.0.1", "private"), ("::ffff:127.0.0.1", "loopback"),
     ("64:ff9b::a00:1", "private"), ("2002:a00:1::", "private"), ("192.0.2.1", "private")],
)  # fmt: skip
def test_non_public_addresses_are_refused_with_a_reason(address: str, reason: str) -> None:
    found = refusal(ipaddress.ip_address(address))
    assert found is not None
    assert reason in found


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_a_tenant_allow_list_admits_its_networks_only() -> None:
    policy = Policy.of(["10.20.0.0/16"])
    ok = ipaddress.ip_address("10.20.3.4")
    assert policy.check("svc", [ok]) == ok
    with pytest.raises(DestinationRefusedError, match=r"10\.30\.0\.1"):
        policy.check("svc", [ok, ipaddress.ip_address("10.30.0.1")])  # any bad answer refuses
    with pytest.raises(DestinationRefusedError, match="no address"):
        policy.check("svc", [])


def test_retry_after_reads_seconds_and_dates_and_is_capped() -> None:
    now = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
    assert retry_after("120", now) == timedelta(seconds=120)
    assert retry_after("Mon, 07 Dec 2026 20:01:00 GMT", now) == timedelta(seconds=60)
    assert retry_after("Mon, 07 Dec 2026 19:00:00 GMT", now) == timedelta(0)
    assert retry_after("999999", now) == timedelta(hours=1)
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None
