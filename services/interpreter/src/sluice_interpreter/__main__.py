"""``python -m sluice_interpreter [interpreter|executor]``: run one Faust worker."""

from __future__ import annotations

import sys

import faust
from sluice_config import load_settings
from sluice_telemetry import configure_logging, configure_tracing

from sluice_interpreter.app import create_app


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    role = args[0] if args else "interpreter"
    settings = load_settings()
    # Faust's worker replaces the root logger's handlers with its own configuration:
    # it gets ours (JSON lines or text, sluice_telemetry.logs).
    log_config = configure_logging(settings, role)
    configure_tracing(settings, role)
    app, _runtime = create_app(settings, role)
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True, logging_config=log_config)
    # Faust's terminal spinner, kept at WARNING and above, sets the root logger to
    # DEBUG so that every library's debug record is built (one per Kafka send).
    worker.spinner = None
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
