"""Webhook signatures: HMAC-SHA256 over ``<timestamp>.<body>``, Stripe's scheme.

Header ``Sluice-Signature: t=<unix seconds>,v1=<hex>`` (several ``v1`` are
allowed, so a sender can sign with an old and a new secret while rotating).
The timestamp is inside the signed text, so a captured delivery cannot be
given a fresh time; a timestamp further than the tolerance from our clock is
stale; digests are compared in constant time (``hmac.compare_digest``).
``sign`` is what a sender (and the tests, and ``examples/``) computes.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

SIGNATURE_HEADER = "Sluice-Signature"
DELIVERY_HEADER = "Sluice-Delivery"


class SignatureError(Exception):
    """Why a delivery's signature is refused (401): ``code`` and a message without secrets."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(secret: str, header: str | None, body: bytes, now: datetime, tolerance_s: int) -> str:
    """The matching ``v1`` digest, or SignatureError (missing, malformed, stale, wrong)."""
    if not header:
        raise SignatureError("SIGNATURE_MISSING", f"no {SIGNATURE_HEADER} header")
    timestamp, candidates = _parse(header)
    skew = abs(now.timestamp() - timestamp)
    if skew > tolerance_s:
        raise SignatureError(
            "SIGNATURE_STALE",
            f"the signature's timestamp is {round(skew)} s from now; at most {tolerance_s} s",
        )
    expected = _digest(secret, timestamp, body)
    for candidate in candidates:
        if hmac.compare_digest(expected, candidate):
            return candidate
    raise SignatureError("SIGNATURE_MISMATCH", "no v1 signature matches the body and secret")


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value.lower())
    if timestamp is None or not candidates:
        raise SignatureError(
            "SIGNATURE_MALFORMED", f"{SIGNATURE_HEADER} must be 't=<unix seconds>,v1=<hex>'"
        )
    return timestamp, candidates
