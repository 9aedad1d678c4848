"""Services stop cleanly on SIGTERM: exit code 0, soon, and nothing left open.

A clean stop closes what the process opened: the interpreter stops its relay
(which closes its producer), flushes and closes its DLQ producer and closes
its pool; ingest stops SMTP and closes its pool. Unclosed aiokafka producers
log "Unclosed AIOKafkaProducer"; unclosed asyncpg connections and sockets
raise ResourceWarning, which ``PYTHONWARNINGS`` makes the child print.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time

import pytest
from e2e_support.services import Services
from sluice_devstack.ports import free_port

pytestmark = pytest.mark.integration
# Faust's own stop (consumer, agents, web) takes ~2 s here; the rest is slack.
STOP_WITHIN_S = 20.0
LEFT_OPEN = ("Unclosed", "unclosed", "ResourceWarning", "Traceback", "Exception ignored",
             "Task was destroyed")  # fmt: skip
STOPPED_LINE = {"interpreter": "interpreter runtime stopped"}


@pytest.mark.parametrize("name", ["interpreter", "scheduler", "ingest"])
async def test_service_exits_cleanly_on_sigterm(services_factory: Services, name: str) -> None:
    services_factory.extra_env["PYTHONWARNINGS"] = "always::ResourceWarning"
    services_factory.extra_env["WF_SMTP_LISTEN_PORT"] = str(free_port())  # ingest's SMTP
    child = await services_factory.start(name)
    await asyncio.sleep(1.0)  # past start-up: relay, pollers and listeners all running
    if name == "interpreter":  # the relay's counters are scraped with the rest
        metrics = (await services_factory.get(name, "/metrics")).text
        assert "sluice_outbox_refused_total 0.0" in metrics
    try:
        started = time.monotonic()
        os.kill(child.pid, signal.SIGTERM)  # what Kubernetes sends; the process alone
        code = await asyncio.to_thread(child.popen.wait, STOP_WITHIN_S)
        took = time.monotonic() - started
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name} still running {STOP_WITHIN_S} s after SIGTERM:\n{child.tail(40)}")
    finally:
        child.stop(timeout_s=1)
    log = child.log_path.read_text(errors="replace")
    left_open = [line for line in log.splitlines() if any(m in line for m in LEFT_OPEN)]
    print(f"{name} stopped in {took:.2f} s")
    assert code == 0, child.tail(40)
    assert left_open == [], child.tail(40)
    assert STOPPED_LINE.get(name, "") in log
