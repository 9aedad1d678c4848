"""The span (and log context) of applying one command to one run.

Every process that applies commands uses it: the interpreter for what it reads
from Kafka (under the record's ``traceparent``), the API for the runs it starts
and the controls it applies (under its request's span). Messages the command
writes to the outbox carry this span's context on (``messages``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from opentelemetry.trace import SpanKind
from sluice_telemetry import work_span
from workflow_core.interpreter.commands import Command


@contextlib.contextmanager
def command_span(
    command: Command, tenant_id: str, run_id: str, trace: Mapping[str, str] | None = None
) -> Iterator[None]:
    kind = SpanKind.CONSUMER if trace else SpanKind.INTERNAL
    name = f"apply {type(command).__name__}"
    attributes = {"sluice.command_id": command.command_id}
    with work_span(name, parent=trace, tenant=tenant_id, run_id=run_id, kind=kind,
                   attributes=attributes):  # fmt: skip
        yield


@contextlib.contextmanager
def start_span(
    tenant_id: str, workflow_id: str, run_id: str, trace: Mapping[str, str] | None = None
) -> Iterator[None]:
    """Starting a run (its StartRun applied where the start was asked)."""
    with work_span("start run", parent=trace, tenant=tenant_id, run_id=run_id,
                   attributes={"sluice.workflow_id": workflow_id}):  # fmt: skip
        yield
