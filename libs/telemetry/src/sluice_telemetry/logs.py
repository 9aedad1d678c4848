"""The one logging setup of every Sluice process (API, ingest, interpreter, executor,
scheduler): JSON lines or text on stderr, chosen by ``WF_LOG_FORMAT``.

A JSON line holds ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
``message``, ``service``, and when known ``tenant``, ``runId``, ``stepPath``,
``traceId`` and ``spanId``; ``exception`` when one is logged, and the record's
``extra`` fields. Tenant, run and step come from context variables that the code
handling a run sets (``log_context``): every record logged inside, by any module,
carries them. The trace and span ids are the current OpenTelemetry span's
(``sluice_telemetry.traces``), there whenever a trace context is (an incoming
``traceparent``, or tracing on).

Secrets stay masked: messages never hold secret values by design (SPEC 15; the
canary test reads every log), and as a second line this module masks what looks
like a credential anyway: API tokens (``slc_...``), ``Bearer``/``Basic``
credentials, ``password=...``-style pairs in messages and exceptions, and
``extra`` fields whose name says password, secret, token or authorization.

``logging_config(settings, service)`` is a ``dictConfig`` document: Faust's worker
and uvicorn take it as their own logging configuration (both would otherwise
replace the root handlers with theirs); ``configure_logging`` applies it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.config
import re
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from sluice_config import Settings

MASK = "***"
_tenant: ContextVar[str | None] = ContextVar("sluice_log_tenant", default=None)
_run_id: ContextVar[str | None] = ContextVar("sluice_log_run_id", default=None)
_step_path: ContextVar[str | None] = ContextVar("sluice_log_step_path", default=None)
_service: list[str] = ["sluice"]  # set once per process by configure_logging

# Credentials in free text: an API token, an Authorization value, key=value pairs.
_SECRET_TEXT = re.compile(
    r"(?P<token>\bslc_[A-Za-z0-9_\-]{8,})"
    r"|(?P<scheme>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=\-]{6,}"
    r"|(?P<pair>\b(?:password|passwd|secret|token|api[_-]?key)\b\s*[=:]\s*)[^\s,;&\"']+",
    re.IGNORECASE,
)
_SECRET_FIELD = re.compile(r"password|passwd|secret|token|authorization|api[_-]?key", re.I)
# What a LogRecord has of its own; anything else on it came in through ``extra``.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


def mask_text(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``***``."""

    def masked(match: re.Match[str]) -> str:
        prefix = match.group("scheme") or match.group("pair") or ""
        return prefix + MASK

    return _SECRET_TEXT.sub(masked, text)


@contextlib.contextmanager
def log_context(
    tenant: str | None = None, run_id: str | None = None, step_path: str | None = None
) -> Iterator[None]:
    """Records logged inside carry these (``None`` keeps what an outer context set)."""
    tokens = [
        (var, var.set(value))
        for var, value in ((_tenant, tenant), (_run_id, run_id), (_step_path, step_path))
        if value is not None
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def bind_tenant(tenant: str) -> None:
    """Name the tenant for the rest of this task (an HTTP request's, once its token is
    known) in logs and on the current span."""
    _tenant.set(tenant)
    trace.get_current_span().set_attribute("sluice.tenant", tenant)


def context_fields() -> dict[str, str]:
    """The current tenant, run, step, trace and span, as the JSON line names them."""
    fields = {
        name: value
        for name, value in (
            ("tenant", _tenant.get()),
            ("runId", _run_id.get()),
            ("stepPath", _step_path.get()),
        )
        if value is not None
    }
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        fields["traceId"] = format(span.trace_id, "032x")
        fields["spanId"] = format(span.span_id, "016x")
    return fields


def _iso(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module docstring for its fields)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_text(record.getMessage()),
            "service": _service[0],
            **context_fields(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                line[key] = MASK if _SECRET_FIELD.search(key) else _plain(value)
        if record.exc_info:
            line["exception"] = mask_text(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _plain(value: Any) -> Any:
    """An ``extra`` value as JSON can hold it (text masked like messages)."""
    if isinstance(value, str):
        return mask_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask_text(json.dumps(value, default=str, ensure_ascii=False))


_TEXT_FIELDS = (("tenant", "tenant"), ("runId", "run"), ("stepPath", "step"), ("traceId", "trace"))


class TextFormatter(logging.Formatter):
    """``time level logger: message [tenant=... run=... step=... trace=...]`` for a
    terminal (``sluice dev``), masked like the JSON lines."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = mask_text(super().format(record))
        fields = context_fields()
        shown = [f"{short}={fields[name]}" for name, short in _TEXT_FIELDS if name in fields]
        return f"{text} [{' '.join(shown)}]" if shown else text


def logging_config(settings: Settings, service: str) -> dict[str, Any]:
    """The ``dictConfig`` of a Sluice process: one stderr handler on the root logger,
    formatted as ``WF_LOG_FORMAT`` says; uvicorn's loggers go through it too."""
    _service[0] = service
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"sluice": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "sluice",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        # uvicorn's own loggers, propagating to the root instead of their handlers.
        "loggers": {
            name: {"level": level, "handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "aiohttp.access")
        },
    }


def configure_logging(settings: Settings, service: str) -> dict[str, Any]:
    """Apply ``logging_config`` to this process; returns it (Faust and uvicorn take it)."""
    config = logging_config(settings, service)
    logging.config.dictConfig(config)
    return config
