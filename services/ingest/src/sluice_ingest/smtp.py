"""The SMTP listener (aiosmtpd) on ``WF_SMTP_LISTEN_PORT`` (default 2525).

Served on the service's own event loop (not aiosmtpd's ``Controller`` thread),
so it shares the asyncpg pool with the HTTP app. Replies:
- RCPT of a mailbox no provider receives: ``550 5.1.1`` (that recipient only;
  the others of the same mail go on);
- more data than ``WF_MAX_EMAIL_BYTES`` (or a larger ``SIZE=``): ``552``
  (aiosmtpd's own check, configured with the same limit);
- DATA: each accepted recipient's mailbox (as RCPT routed it: no second
  lookup) goes through the one intake
  (``EmailIntake.accept_raw``) once per distinct (tenant, provider): ``250``
  naming each outcome (accepted, duplicate or failed, all stored), the
  intake's refusal code for a body that is not RFC 822, and ``451 4.3.0`` when
  the database is away (``sluice_engine.transient``: the sending MTA retries;
  deduplication absorbs the repeat). An unexpected error is also a 451 (logged
  as a bug): a 5xx would bounce the mail for our fault, and nothing is lost.
  A message is never refused for its bytes: a NUL, invalid UTF-8 or an unknown
  charset is stored (raw bytes unchanged) and runs the workflow.
Line endings: SMTP carries CRLF; the stored message and the parser get LF.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import weakref
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from sluice_engine.transient import dependency_of, transient_cause
from sluice_helpdesk import MailboxRoute
from sluice_mail import normalise_line_endings

from sluice_ingest.context import IngestContext
from sluice_ingest.errors import IntakeError, UnknownMailboxError
from sluice_ingest.intake import IntakeResult

log = logging.getLogger(__name__)


class IntakeHandler:
    """aiosmtpd handler hooks calling the shared intake."""

    def __init__(self, context: IngestContext) -> None:
        self.context = context
        # each accepted recipient's route as RCPT found it, per mail transaction
        # (aiosmtpd makes a new Envelope for each): DATA does not look them up again
        self._accepted: weakref.WeakKeyDictionary[Envelope, dict[str, MailboxRoute]] = (
            weakref.WeakKeyDictionary()
        )

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        try:
            route = await self.context.intake.route(address)
        except UnknownMailboxError as exc:
            self.context.metrics.emails.labels("smtp", exc.code).inc()
            return f"550 5.1.1 <{address}>: {exc.message}"
        except Exception as exc:
            return _temporary(exc, "routing the recipient", address)
        self._accepted.setdefault(envelope, {})[address] = route
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = normalise_crlf(envelope.original_content or b"")
        try:
            results = [await self._deliver(route, raw) for route in await self._routes(envelope)]
        except IntakeError as refused:
            self.context.metrics.emails.labels("smtp", refused.code).inc()
            return f"{refused.smtp_reply} {refused.message}"
        except Exception as exc:  # DATABASE_DOWN: intake stores anything else as failed
            return _temporary(exc, "storing the message", f"from {envelope.mail_from}")
        summary = "; ".join(f"{r.status} {r.email_id}" for r in results)
        return f"250 2.0.0 OK {summary}"

    async def _routes(self, envelope: Envelope) -> list[MailboxRoute]:
        """One route per distinct (tenant, provider) among the accepted recipients."""
        accepted = self._accepted.pop(envelope, {})
        routes: dict[tuple[str, str], MailboxRoute] = {}
        for address in envelope.rcpt_tos:
            route = accepted.get(address) or await self.context.intake.route(address)
            routes.setdefault((route.tenant_id, route.provider_id), route)
        return list(routes.values())

    async def _deliver(self, route: MailboxRoute, raw: bytes) -> IntakeResult:
        result = await self.context.intake.accept_raw(route, raw)
        self.context.metrics.emails.labels("smtp", result.status).inc()
        return result


def _temporary(exc: Exception, doing: str, subject: str) -> str:
    """451 4.3.0: the sending MTA keeps the message and tries again later."""
    cause = transient_cause(exc)
    if cause is None:
        log.exception("%s (%s) failed", doing, subject)
        return f"451 4.3.0 temporary failure {doing}, try again later"
    dependency = dependency_of(cause) or "the database"
    log.warning("%s (%s): %s unreachable: %r", doing, subject, dependency, cause)
    return f"451 4.3.0 {dependency} is unreachable for the moment, try again later"


def normalise_crlf(raw: bytes) -> bytes:
    """SMTP's CRLF line endings become LF (the form an HTTP upload usually has)."""
    return normalise_line_endings(raw)


class SmtpListener:
    """Start/stop an aiosmtpd server on the running loop; stop closes open sessions too."""

    def __init__(self, context: IngestContext, host: str, port: int) -> None:
        self.context = context
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def _protocol(self) -> SMTP:
        protocol = SMTP(
            IntakeHandler(self.context),
            data_size_limit=self.context.settings.max_email_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=socket.gethostname(),
            ident="Sluice ingest",
        )
        self._sessions.add(protocol)
        return protocol

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, self.port)
        sockets = self._server.sockets
        if sockets and self.port == 0:  # an ephemeral port (tests): remember which
            self.port = int(sockets[0].getsockname()[1])
        log.info("SMTP intake listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for session in list(self._sessions):
            transport: Any = getattr(session, "transport", None)
            if transport is not None:
                transport.close()
        await self._server.wait_closed()
        self._server = None
