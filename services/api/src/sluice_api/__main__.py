"""``python -m sluice_api``: serve on WF_API_HOST:WF_API_PORT (default 127.0.0.1:8000)."""

from __future__ import annotations

import uvicorn
from sluice_config import load_settings
from sluice_telemetry import configure_logging, configure_tracing

from sluice_api.app import create_app


def main() -> None:
    settings = load_settings()
    log_config = configure_logging(settings, "api")
    configure_tracing(settings, "api")
    uvicorn.run(
        create_app(settings), host=settings.api_host, port=settings.api_port,
        log_level=settings.log_level.lower(), log_config=log_config,
    )  # fmt: skip


if __name__ == "__main__":
    main()
