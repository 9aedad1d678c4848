"""``python -m sluice_ingest``: HTTP on WF_INGEST_PORT (8001) and SMTP on
WF_SMTP_LISTEN_PORT (2525), one process, one pool; SIGINT/SIGTERM stop both."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import uvicorn
from sluice_config import Settings, load_settings
from sluice_storage import create_pool

from sluice_ingest.app import build_context, create_app
from sluice_ingest.smtp import SmtpListener


async def serve(settings: Settings) -> None:
    context = build_context(settings)
    context.pool = await create_pool(settings, lean_release=True)
    smtp = SmtpListener(context, settings.api_host, settings.smtp_listen_port)
    config = uvicorn.Config(
        create_app(settings, context=context), host=settings.api_host,
        port=settings.ingest_port, log_level=settings.log_level.lower(),
    )  # fmt: skip
    server = uvicorn.Server(config)  # handles SIGINT/SIGTERM: should_exit ends serve()
    try:
        await smtp.start()
        await server.serve()
    finally:
        await smtp.stop()
        with contextlib.suppress(Exception):
            await context.pool.close()


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper())
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
