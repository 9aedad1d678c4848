"""``python -m sluice_scheduler``: timers, stale leases, re-drive; health on :8003."""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web
from sluice_config import Settings, load_settings
from sluice_telemetry import configure_logging, configure_tracing

from sluice_scheduler.service import Scheduler
from sluice_scheduler.web import create_web_app


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Before anything opens: a SIGTERM during start-up still ends in the clean stop below.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    scheduler = await Scheduler.open(settings, stop)
    runner = web.AppRunner(create_web_app(scheduler))
    try:
        await runner.setup()
        await web.TCPSite(runner, "0.0.0.0", settings.scheduler_port).start()
        await scheduler.run()
    finally:
        await runner.cleanup()
        await scheduler.pool.close()


def main() -> None:
    settings = load_settings()
    configure_logging(settings, "scheduler")
    configure_tracing(settings, "scheduler")
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
