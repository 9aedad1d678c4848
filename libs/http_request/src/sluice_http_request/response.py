"""From an HTTP response to the action's output or failure.

- 2xx and 3xx (not followed): the output (``contract.OUTPUT_SCHEMA``). The body is
  parsed as JSON when the content type says JSON (``application/json``,
  ``*+json``) and it parses to finite JSON, else kept as text; past
  ``maxResponseBytes`` it is a truncation marker (``{"$truncated": true,
  "originalBytes": N, "text": <the first bytes>}``), never parsed.
- 408, 429, 5xx: ``RetryLaterError`` (the engine's one transient rule), carrying
  ``Retry-After`` (seconds or an HTTP date; capped at ``MAX_RETRY_AFTER``).
- Any other 4xx: a permanent ``ActionError`` named ``HTTP_CLIENT_ERROR`` (the status
  and the start of the body in its data): retrying the same request cannot help.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from pydantic import JsonValue
from sluice_engine import ActionFailedError
from sluice_engine.transient import RetryLaterError
from workflow_core.redaction import truncation_marker

# A server may ask for any delay; more than an hour is treated as an hour (the retry
# still comes, and the step's maxAttempts still bounds how often).
MAX_RETRY_AFTER = timedelta(hours=1)
# How much of an error response's body its failure carries.
ERROR_BODY_CHARS = 1024
RETRY_LATER = frozenset({408, 429})


@dataclass(frozen=True)
class Body:
    data: bytes
    truncated: bool
    original_bytes: int


async def read_capped(response: httpx.Response, cap: int) -> Body:
    """At most ``cap`` bytes of the body; stops reading past it (the rest never arrives)."""
    kept = bytearray()
    seen = 0
    async for chunk in response.aiter_bytes():
        seen += len(chunk)
        room = cap - len(kept)
        kept += chunk[: max(room, 0)]
        if seen > cap:
            break
    declared = response.headers.get("content-length", "")
    original = int(declared) if declared.isdigit() and int(declared) > seen else seen
    return Body(bytes(kept), seen > cap, original)


def is_json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def decode(response: httpx.Response, body: Body) -> JsonValue:
    text = body.data.decode(response.encoding or "utf-8", errors="replace")
    if body.truncated:
        marker: dict[str, JsonValue] = {**truncation_marker(body.original_bytes), "text": text}
        return marker
    if is_json_type(response.headers.get("content-type", "")) and text.strip():
        try:
            parsed: JsonValue = json.loads(text, parse_constant=_reject_constant)
        except ValueError:
            return text
        return parsed
    return text


def headers_of(response: httpx.Response) -> dict[str, str]:
    merged: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        merged.setdefault(name.lower(), []).append(value)
    return {name: ", ".join(values) for name, values in merged.items()}


def output(response: httpx.Response, body: Body, url: str) -> dict[str, JsonValue]:
    return {
        "status": response.status_code,
        "ok": 200 <= response.status_code < 300,
        "headers": dict(headers_of(response)),
        "body": decode(response, body),
        "truncated": body.truncated,
        "bytes": len(body.data),
        "url": url,
    }


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After: 120`` or ``Retry-After: Wed, 21 Oct 2015 07:28:00 GMT``."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        delay = timedelta(seconds=int(text))
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        delay = max(when - now, timedelta(0))
    return min(delay, MAX_RETRY_AFTER)


def failure_for(response: httpx.Response, body: Body, url: str, now: datetime) -> Exception | None:
    """The failure a status means (None: the request succeeded)."""
    status = response.status_code
    if status < 400:
        return None
    preview = body.data[:ERROR_BODY_CHARS].decode("utf-8", errors="replace")
    data: dict[str, JsonValue] = {"status": status, "url": url, "body": preview}
    reason = f"{response.request.method} {url} answered {status} {response.reason_phrase}".strip()
    if status in RETRY_LATER or status >= 500:
        delay = retry_after(response.headers.get("retry-after"), now)
        return RetryLaterError(reason, name=f"HTTP_{status}", retry_after=delay,
                               data={"status": status, "url": url})  # fmt: skip
    return ActionFailedError(reason, name="HTTP_CLIENT_ERROR", retryable=False, data=data)
