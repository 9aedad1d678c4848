"""The one logging setup: JSON lines with the run's context and trace, masked credentials,
text for a terminal; trace context in and out of Kafka headers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sluice_config import Settings
from sluice_telemetry import headers_of, log_context, logging_config, trace_headers, work_span
from sluice_telemetry.logs import JsonFormatter, TextFormatter, mask_text

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """A real SDK tracer (in-memory exporter) for this test only."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("sluice")
    import sluice_telemetry.traces as traces

    original = traces.tracer
    traces.tracer = lambda: tracer  # type: ignore[assignment]  # the global provider is set once
    traces._exporting[0] = True
    yield exporter
    traces._exporting[0] = False
    traces.tracer = original  # type: ignore[assignment]


def captured(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"test.telemetry.{id(stream)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_json_line_carries_tenant_run_step_and_trace(spans: InMemorySpanExporter) -> None:
    logger, stream = captured(JsonFormatter())
    with work_span("action test.record", parent={"traceparent": TRACEPARENT}, tenant="acme",
                   run_id="r-1", step_path="root.steps[0]"):  # fmt: skip
        logger.warning("handler slow: %d ms", 1200, extra={"attempt": 2})
    line = json.loads(stream.getvalue())
    assert line["message"] == "handler slow: 1200 ms"
    assert line["level"] == "WARNING"
    assert (line["tenant"], line["runId"], line["stepPath"]) == ("acme", "r-1", "root.steps[0]")
    assert line["traceId"] == "0af7651916cd43dd8448eb211c80319c"  # the caller's trace, continued
    assert line["spanId"] == format(spans.get_finished_spans()[0].context.span_id, "016x")
    assert line["attempt"] == 2
    assert line["time"].endswith("+00:00")


def test_context_is_gone_after_the_block() -> None:
    logger, stream = captured(JsonFormatter())
    with log_context(tenant="acme", run_id="r-1"):
        pass
    logger.info("later")
    line = json.loads(stream.getvalue())
    assert "tenant" not in line
    assert "runId" not in line
    assert "traceId" not in line


def test_credentials_are_masked_in_messages_extras_and_exceptions() -> None:
    logger, stream = captured(JsonFormatter())
    token = "slc_" + "a1B2c3D4e5F6g7H8"
    try:
        raise RuntimeError("refused: Authorization: Bearer abcdef123456 password=hunter22")
    except RuntimeError:
        logger.exception("call with %s failed", token, extra={"apiToken": "s3cr3t-value"})
    text = stream.getvalue()
    line = json.loads(text)
    for secret in (token, "abcdef123456", "hunter22", "s3cr3t-value"):
        assert secret not in text
    assert line["apiToken"] == "***"
    assert "Bearer ***" in line["exception"]
    assert "password=***" in line["exception"]
    assert mask_text("no secrets here: 42 tokens left") == "no secrets here: 42 tokens left"


def test_text_format_appends_the_context() -> None:
    logger, stream = captured(TextFormatter())
    with log_context(tenant="acme", run_id="r-9"):
        logger.info("advanced")
    assert stream.getvalue().rstrip().endswith("advanced [tenant=acme run=r-9]")


def test_config_follows_wf_log_format() -> None:
    json_config = logging_config(Settings(log_format="json", log_level="debug"), "api")
    text_config = logging_config(Settings(log_format="text"), "api")
    assert json_config["formatters"]["sluice"]["()"].endswith("JsonFormatter")
    assert text_config["formatters"]["sluice"]["()"].endswith("TextFormatter")
    assert json_config["root"]["level"] == "DEBUG"
    assert Settings().log_format == "json"  # containers and the chart: JSON lines
    with pytest.raises(ValueError, match="log_format"):
        Settings(log_format="xml")  # type: ignore[arg-type]  # the refusal is the test


def test_trace_headers_round_trip_through_kafka_headers(spans: InMemorySpanExporter) -> None:
    assert trace_headers() == {}  # no span: nothing to propagate
    with work_span("apply StartRun", parent={"traceparent": TRACEPARENT}):
        out = trace_headers()
    kafka = [(name, value.encode()) for name, value in out.items()] + [("other", b"x")]
    back = headers_of(kafka)
    assert set(back) == {"traceparent"}
    assert back["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
    with work_span("action x", parent=back):
        pass
    first, second = spans.get_finished_spans()
    assert second.parent is not None
    assert second.parent.span_id == first.context.span_id
    assert second.context.trace_id == first.context.trace_id


def test_a_span_without_traceparent_nests_under_the_current_one(
    spans: InMemorySpanExporter,
) -> None:
    with work_span("outer"), work_span("inner", parent={"other": "x"}):
        pass
    inner, outer = spans.get_finished_spans()
    assert inner.parent is not None
    assert inner.parent.span_id == outer.context.span_id


def test_without_tracing_only_a_continued_context_makes_a_span() -> None:
    """Tracing off: no span at all for work with no trace to continue (the cost of a
    no-op span per command), while an incoming traceparent still flows on."""
    with work_span("apply StartRun", tenant="acme"):
        assert trace_headers() == {}
    with work_span("apply StartRun", parent={"traceparent": TRACEPARENT}):
        assert trace_headers()["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]
