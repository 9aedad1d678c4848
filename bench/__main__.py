"""``python -m bench`` (``make bench``): every benchmark in turn, figures in bench/results/.

The benchmarks that need Kafka and PostgreSQL use the stack named by ``WF_*``
or by the file ``sluice dev`` writes; when there is none, one is started here
(``sluice_devstack``, free ports, a temporary directory) and stopped at the end.
``python -m bench soak [args]`` (``make soak``) runs only the soak (``bench.soak``).
Each benchmark runs as its own process (``python -m bench.<name>`` with its
defaults), so one failing does not hide the others' figures.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sluice_config import load_settings

PURE = ("core_bench", "expressions_bench", "types_bench")
ON_STACK = ("outbox_bench", "faust_floor", "runs_bench", "email_bench", "run_list_bench")


@contextmanager
def _stack_env() -> Iterator[dict[str, str]]:
    """Environment for the stack benchmarks; starts a local stack if none is configured."""
    settings = load_settings()
    if settings.database_url and settings.kafka_bootstrap_servers:
        yield {**os.environ, "WF_DATABASE_URL": settings.database_url,
               "WF_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers}  # fmt: skip
        return
    from sluice_devstack.ports import free_port
    from sluice_devstack.stack import StackOptions, start_stack

    state_dir = Path(tempfile.mkdtemp(prefix="sluice-bench-stack-"))
    options = StackOptions(
        state_dir=state_dir, cache_dir=settings.cache_dir,
        kafka_port=free_port(), kafka_controller_port=free_port(), postgres_port=free_port(),
        external_database_url=settings.database_url,  # only the half that is missing starts
        external_kafka=settings.kafka_bootstrap_servers,
    )  # fmt: skip
    running = asyncio.run(start_stack(options))
    try:
        yield {**os.environ, "WF_DATABASE_URL": running.database_url,
               "WF_KAFKA_BOOTSTRAP_SERVERS": running.kafka_bootstrap_servers}  # fmt: skip
    finally:
        running.stop()


def _run(name: str, env: dict[str, str] | None = None) -> bool:
    print(f"\n=== bench.{name}", flush=True)
    return (
        subprocess.run([sys.executable, "-m", f"bench.{name}"], env=env, check=False).returncode
        == 0
    )


def main() -> None:
    if sys.argv[1:2] == ["soak"]:  # make soak: only the soak, on the same kind of stack
        with _stack_env() as env:
            command = [sys.executable, "-m", "bench.soak", *sys.argv[2:]]
            sys.exit(subprocess.run(command, env=env, check=False).returncode)
    failed = [name for name in PURE if not _run(name)]
    with _stack_env() as env:
        failed += [name for name in ON_STACK if not _run(name, env)]
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
