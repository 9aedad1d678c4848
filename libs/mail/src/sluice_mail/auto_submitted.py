"""Is a message machine-generated? Then the workflow must never acknowledge it.

Answering an auto-reply with an acknowledgement starts a mail loop (two
robots thanking each other forever). The signals, after RFC 3834 and common
practice:
- ``Auto-Submitted`` with any value other than ``no`` (RFC 3834);
- ``Precedence: bulk | junk | list | auto_reply`` (de-facto, older mailers);
- ``X-Autoreply`` / ``X-Autorespond`` present (vacation programs);
- an empty ``Return-Path`` (``<>``): bounces and notifications (RFC 5321 4.5.5);
- a sender whose local part is ``mailer-daemon`` or ``postmaster``.
"""

from __future__ import annotations

from email.message import Message

from sluice_mail.headers import addresses, raw_header

_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_ROBOT_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond")


def is_auto_submitted(message: Message) -> bool:
    """True when any loop-risk signal is present. Never raises."""
    return (
        _auto_submitted_header(message)
        or _bulk_precedence(message)
        or any(raw_header(message, name) is not None for name in _AUTOREPLY_HEADERS)
        or _empty_return_path(message)
        or _robot_sender(message)
    )


def _auto_submitted_header(message: Message) -> bool:
    value = raw_header(message, "Auto-Submitted")
    if value is None:
        return False
    # Parameters may follow (``auto-replied; reason=...``); only the keyword counts.
    keyword = value.split(";", 1)[0].strip().lower()
    return keyword != "no"


def _bulk_precedence(message: Message) -> bool:
    value = raw_header(message, "Precedence")
    return value is not None and value.strip().lower() in _BULK_PRECEDENCE


def _empty_return_path(message: Message) -> bool:
    value = raw_header(message, "Return-Path")
    return value is not None and "".join(value.split()) == "<>"


def _robot_sender(message: Message) -> bool:
    for header in ("From", "Sender"):
        for address in addresses(message, header):
            local = address.email.split("@", 1)[0].strip().lower()
            if local in _ROBOT_LOCAL_PARTS:
                return True
    return False
