"""``sluice dev``: the whole local system in the foreground; Ctrl-C stops all.

Order: PostgreSQL + Kafka, topics, set-up steps (``sluice db upgrade`` and
friends, when those commands exist), services, connection file, "ready". A
SIGINT/SIGTERM at any point stops every child (services first, then Kafka, then
PostgreSQL) and removes the connection file. A child dying once the stack is
up is started again with backoff (``supervise``; the connection file gets its
new pid); one that keeps failing stops everything, as does a death during
start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sluice_config import Settings
from sluice_messaging.admin import ensure_topics
from sluice_messaging.topics import Topics

from sluice_devstack import services as svc
from sluice_devstack.connection import remove_connection_file, write_connection_file
from sluice_devstack.errors import DevstackError, StartupError
from sluice_devstack.kafka_jars import kafka_version
from sluice_devstack.process import ChildProcess
from sluice_devstack.stack import Recipe, RunningStack, StackOptions, start_stack
from sluice_devstack.supervise import RestartPolicy, Supervisor

Echo = Callable[[str], None]
T = TypeVar("T")
SERVICE_READY_TIMEOUT_S = 60.0
STEP_TIMEOUT_S = 300.0  # migrations on an empty database take seconds


@dataclass(frozen=True)
class SetupStep:
    """A command run after the stack is up and before the services start."""

    label: str
    argv: tuple[str, ...]
    show_stdout: str = ""  # when set, print stdout after this label (e.g. a token)
    signs_in: bool = False  # its stdout is a token: print the UI's sign-in link with it


@dataclass(frozen=True)
class DevPlan:
    settings: Settings
    state_dir: Path
    services: tuple[svc.ServiceSpec, ...]
    steps: tuple[SetupStep, ...] = ()
    restarts: RestartPolicy = field(default_factory=RestartPolicy)


class _StoppedError(Exception):
    """A stop signal arrived while we were starting up."""


async def run_dev(plan: DevPlan, echo: Echo) -> int:
    """Run until a signal (exit code 0) or a failure (1)."""
    stop = _stop_on_signals()
    stack: RunningStack | None = None
    connection = plan.settings.connection_file
    try:
        options = StackOptions.from_settings(plan.settings, plan.state_dir)
        stack = await _until(stop, start_stack(options, lambda line: echo(f"sluice dev: {line}")))
        ports = await _until(stop, _bring_up(plan, stack, echo))
        supervisor = Supervisor(
            stack, echo, plan.restarts, lambda _: _write_connection(plan, stack, ports)
        )
        return await supervisor.watch(stop)
    except _StoppedError:
        echo("sluice dev: stopping (signal received during start-up)")
        return 0
    except DevstackError as exc:
        echo(f"sluice dev: error: {exc}")
        return 1
    finally:
        if stack is not None:
            codes = stack.stop()
            echo(f"sluice dev: stopped {', '.join(codes) or 'nothing'}")
        remove_connection_file(connection)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _until(stop: asyncio.Event, work: Awaitable[T]) -> T:
    """Await ``work`` unless ``stop`` is set first; then cancel it (its own
    clean-up runs) and raise _StoppedError."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, DevstackError):
        await task
    raise _StoppedError


async def _bring_up(plan: DevPlan, stack: RunningStack, echo: Echo) -> dict[str, int]:
    """Topics, set-up steps, services, the connection file; the ports by name."""
    settings = plan.settings
    _report_stack(stack, echo)
    topics = Topics.from_prefix(settings.topic_prefix)
    copies = stack.kafka_replication or settings.topic_replication_factor
    await ensure_topics(
        stack.kafka_bootstrap_servers, topics, settings.topic_partitions,
        replication_factor=copies,
    )  # fmt: skip
    echo(
        f"sluice dev: topics {', '.join(topics.all())} ({settings.topic_partitions} "
        f"partitions, {copies} {'copy' if copies == 1 else 'copies'})"
    )
    env = _stack_env(stack)
    sign_in_token = ""
    for step in plan.steps:
        shown = await _run_step(step, env, echo)
        sign_in_token = shown if step.signs_in else sign_in_token
    ports = await _start_services(plan, stack, env, echo)
    if "api" in ports:
        _report_ui(settings, sign_in_token, echo)
    _write_connection(plan, stack, ports)
    echo(f"sluice dev: logs in {plan.state_dir}; connection file {settings.connection_file}")
    echo("sluice dev: ready (Ctrl-C stops everything)")
    return ports


def _write_connection(plan: DevPlan, stack: RunningStack, ports: Mapping[str, int]) -> None:
    write_connection_file(
        plan.settings.connection_file,
        database_url=stack.database_url,
        kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
        ports=ports,
        pids={child.name: child.pid for child in stack.children},
    )


def _report_ui(settings: Settings, token: str, echo: Echo) -> None:
    ui = f"http://{settings.api_host}:{settings.api_port}/ui/"
    echo(f"sluice dev: web UI: {ui}")
    if token:
        # In the fragment, never the query: a fragment is not sent to any server
        # (nor logged, nor in Referer); the UI reads it once and drops it.
        echo(f"sluice dev: sign in as the demo admin: {ui}#token={token}")


def _report_stack(stack: RunningStack, echo: Echo) -> None:
    timings = stack.timings
    pg = f"ready after {timings['postgres']:.1f} s" if "postgres" in timings else "external"
    kf = f"ready after {timings['kafka']:.1f} s" if "kafka" in timings else "external"
    if "kafka" in timings and stack.kafka_replication and stack.kafka_replication > 1:
        brokers = stack.kafka_bootstrap_servers.count(",") + 1
        kf = f"({brokers} brokers, min.insync.replicas {stack.kafka_replication - 1}) {kf}"
    echo(f"sluice dev: PostgreSQL {pg}: {stack.database_url}")
    echo(f"sluice dev: Kafka {kafka_version()} {kf}: {stack.kafka_bootstrap_servers}")


def _stack_env(stack: RunningStack) -> dict[str, str]:
    return {
        "WF_DATABASE_URL": stack.database_url,
        "WF_KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        # A terminal reads text better; containers and the chart keep JSON lines.
        "WF_LOG_FORMAT": os.environ.get("WF_LOG_FORMAT", "text"),
    }


async def _run_step(step: SetupStep, env: Mapping[str, str], echo: Echo) -> str:
    """Run ``step``; its stdout when it is shown, else ``""``."""
    # A step whose stdout is shown keeps stderr apart, so log noise is not shown.
    stderr = asyncio.subprocess.PIPE if step.show_stdout else asyncio.subprocess.STDOUT
    proc = await asyncio.create_subprocess_exec(
        *step.argv, env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE, stderr=stderr
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), STEP_TIMEOUT_S)
    except (asyncio.CancelledError, TimeoutError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        text = (out or b"").decode(errors="replace") + (err or b"").decode(errors="replace")
        raise StartupError(
            f"`{' '.join(step.argv)}` failed (exit {proc.returncode}):\n{text[-3000:]}"
        )
    shown = out.decode().strip() if step.show_stdout else ""
    echo(f"sluice dev: {step.show_stdout or step.label}: {shown or 'done'}")
    return shown


async def _start_services(
    plan: DevPlan, stack: RunningStack, env: Mapping[str, str], echo: Echo
) -> dict[str, int]:
    settings = plan.settings
    ports = {
        "postgres": settings.postgres_port,
        "kafka": settings.kafka_port,
        "kafka_controller": settings.kafka_controller_port,
    }
    started = []
    for spec in plan.services:
        if not svc.runnable(spec):
            echo(f"sluice dev: {spec.name}: skipped ({spec.module} has no __main__ yet)")
            continue
        recipe = _service_recipe(plan, spec, env)
        child = recipe.spawn()
        stack.adopt(child, recipe)
        started.append((spec, child))
    for spec, child in started:
        host, port = spec.host(settings), spec.port(settings)
        await stack.ready(spec.name)
        ports[spec.name] = port
        note = f" ({spec.note})" if spec.note else ""
        echo(f"sluice dev: {spec.name}: {spec.scheme}://{host}:{port}{note}, pid {child.pid}")
    return ports


def _service_recipe(plan: DevPlan, spec: svc.ServiceSpec, env: Mapping[str, str]) -> Recipe:
    host, port = spec.host(plan.settings), spec.port(plan.settings)

    def spawn() -> ChildProcess:
        return svc.start_service(spec, env, plan.state_dir / "services")

    async def ready(child: ChildProcess) -> None:
        await svc.wait_listening(child, host, port, SERVICE_READY_TIMEOUT_S)

    return Recipe(spawn, ready)
