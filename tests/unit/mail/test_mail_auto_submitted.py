"""Loop protection: every auto-generated signal is detected, ordinary mail is not."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy

import pytest
from sluice_mail import ParsedEmail, is_auto_submitted, parse_message

RawEmail = Callable[..., bytes]


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated; reason=vacation"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"Precedence": "auto_reply"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Return-Path": "<>"},
        {"From": "MAILER-DAEMON@mx.customer.example"},
        {"From": "Mail System <postmaster@customer.example>"},
    ],
)
def test_auto_submitted_signal_is_detected(raw_email: RawEmail, headers: dict[str, str]) -> None:
    raw = raw_email(headers=headers)
    assert is_auto_submitted(message_from_bytes(raw, policy=policy.default))
    parsed = parse_message(raw, max_bytes=100_000)
    assert isinstance(parsed, ParsedEmail)
    assert parsed.auto_submitted


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Auto-Submitted": "no"},
        {"Precedence": "first-class"},
        {"Return-Path": "<jane@customer.example>"},
        {"From": "Daemon Fan <mailer.daemon.fan@customer.example>"},
    ],
)
def test_auto_submitted_ordinary_mail_is_not_flagged(
    raw_email: RawEmail, headers: dict[str, str]
) -> None:
    raw = raw_email(headers=headers)
    assert not is_auto_submitted(message_from_bytes(raw, policy=policy.default))
