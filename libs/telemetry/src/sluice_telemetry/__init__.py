"""Logs and traces of every Sluice process (see README.md)."""

from sluice_telemetry.logs import (
    bind_tenant,
    configure_logging,
    log_context,
    logging_config,
    mask_text,
)
from sluice_telemetry.traces import (
    configure_tracing,
    headers_of,
    trace_headers,
    tracing_configured,
    work_span,
)

__all__ = [
    "bind_tenant",
    "configure_logging",
    "configure_tracing",
    "headers_of",
    "log_context",
    "logging_config",
    "mask_text",
    "trace_headers",
    "tracing_configured",
    "work_span",
]
