"""Running ``sluice`` commands in tests: the real command line in a worker thread (it
runs its own HTTP client, as from a shell) against the real API of ``live_api``."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from click.testing import CliRunner
from sluice_cli.main import cli


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


async def sluice(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Ran:
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, list(args), env=env, input=stdin, catch_exceptions=False
    )
    return Ran(result.exit_code, result.stdout, result.stderr)


def api_args(url: str, token: str) -> tuple[str, ...]:
    return ("--api", url, "--token", token)
