"""``python -m sluice_ingest``: HTTP on WF_INGEST_PORT (8001) and SMTP on
WF_SMTP_LISTEN_PORT (2525), one process, one pool; SIGINT/SIGTERM stop both,
then the pool closes and the process exits 0."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from typing import Any

import uvicorn
from sluice_config import Settings, load_settings
from sluice_storage import create_pool
from sluice_telemetry import configure_logging, configure_tracing

from sluice_ingest.app import build_context, create_app
from sluice_ingest.smtp import SmtpListener

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: after serving, uvicorn re-raises
    the signal that stopped it under the previous handler, and SIGTERM's default
    kills the process before the SMTP listener stops and the pool closes."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: Settings, log_config: dict[str, Any] | None = None) -> None:
    context = build_context(settings)
    config = uvicorn.Config(
        create_app(settings, context=context), host=settings.api_host,
        port=settings.ingest_port, log_level=settings.log_level.lower(), log_config=log_config,
    )  # fmt: skip
    server = _Server(config)
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:  # from here on (start-up included) a signal ends serve()
        loop.add_signal_handler(sig, setattr, server, "should_exit", True)
    context.pool = await create_pool(settings, lean_release=True)
    smtp = SmtpListener(context, settings.api_host, settings.smtp_listen_port)
    try:
        await smtp.start()
        await server.serve()
    finally:
        await smtp.stop()
        pool, context.pool = context.pool, None
        await pool.close()


def main() -> None:
    settings = load_settings()
    log_config = configure_logging(settings, "ingest")
    configure_tracing(settings, "ingest")
    asyncio.run(serve(settings, log_config))


if __name__ == "__main__":
    main()
