"""The ``http.request`` handler: resolve secrets, send through the guard, scrub the result.

Secrets are resolved here, at the last moment, from the ``secretRef`` objects
the run carried (``ActionCall.services.secrets``), and never leave this
function: every value resolved is scrubbed (``workflow_core.redaction.scrub``)
from the output and from any failure's message and data before the engine
records them, so even a server that echoes the ``Authorization`` header back
does not put the token into the run's state, history or logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pydantic import JsonValue
from sluice_config.clock import Clock, utc_now
from sluice_engine import ActionCall, ActionFailedError
from sluice_engine.transient import RetryLaterError, is_transient
from sluice_secrets import SecretError
from workflow_core.redaction import scrub

from sluice_http_request.guard import DestinationRefusedError, Policy, Resolve, system_resolve
from sluice_http_request.perform import perform, prepare


class HttpRequestAction:
    """The handler, with the resolver of names (tests inject one to point a name at
    a local address) and the clock that reads ``Retry-After`` dates."""

    def __init__(self, resolve: Resolve = system_resolve, clock: Clock = utc_now) -> None:
        self.resolve = resolve
        self.clock = clock

    async def __call__(self, call: ActionCall) -> JsonValue:
        try:
            resolved = await call.services.secrets.resolve(call.tenant_id, dict(call.args))
        except SecretError as exc:
            raise ActionFailedError(str(exc), name=exc.code, retryable=False) from None
        args: dict[str, Any] = resolved.value  # type: ignore[assignment]  # resolve keeps the shape
        prepared = prepare(args, call.args, call.idempotency_key)
        policy = Policy.of(call.services.private_networks.get(call.tenant_id, ()))
        try:
            result = await asyncio.wait_for(
                perform(prepared, policy, self.resolve, self.clock), prepared.timeout_s + 1
            )
        except DestinationRefusedError as exc:
            raise ActionFailedError(
                str(exc), name="DESTINATION_REFUSED", retryable=False,
                data={"host": exc.host, "reason": exc.reason},
            ) from None  # fmt: skip
        except Exception as exc:
            raise scrubbed(exc, resolved.secrets) from None
        return scrub(result, resolved.secrets)


def scrubbed(exc: Exception, secrets: Sequence[str]) -> Exception:
    """``exc`` with the secrets scrubbed from its message and data (same kind of failure)."""
    if not secrets:
        return exc
    if isinstance(exc, ActionFailedError):
        return ActionFailedError(
            _text(exc.message, secrets), name=exc.name, category=exc.category,
            retryable=exc.retryable, data=_data(exc.data, secrets),
        )  # fmt: skip
    if isinstance(exc, RetryLaterError):
        return RetryLaterError(
            _text(str(exc), secrets), name=exc.name, retry_after=exc.retry_after,
            data=_data(exc.data, secrets),
        )  # fmt: skip
    message = _text(f"{type(exc).__name__}: {exc}", secrets)
    if is_transient(exc):  # keep it transient (the one rule decided), minus the secret
        return RetryLaterError(message, name=type(exc).__name__)
    return ActionFailedError(message, name="HTTP_REQUEST_FAILED", retryable=False)


def _text(text: str, secrets: Sequence[str]) -> str:
    return str(scrub(text, secrets))


def _data(data: dict[str, Any], secrets: Sequence[str]) -> dict[str, Any]:
    cleaned = scrub(data, secrets)
    return cleaned if isinstance(cleaned, dict) else {}
