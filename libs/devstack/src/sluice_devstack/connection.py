"""The local connection file: where ``sluice dev``'s stack listens.

``sluice_config.load_settings()`` reads it when ``WF_DATABASE_URL`` /
``WF_KAFKA_BOOTSTRAP_SERVERS`` are unset (and ignores it once the ``pid`` that
wrote it is gone), so every ``sluice`` command finds the running stack.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def write_connection_file(
    path: Path,
    *,
    database_url: str,
    kafka_bootstrap_servers: str,
    ports: Mapping[str, int],
    pids: Mapping[str, int],
) -> None:
    """Write atomically (temp file + rename): readers never see half a file."""
    content: dict[str, Any] = {
        "status": "running",
        "pid": os.getpid(),
        "database_url": database_url,
        "kafka_bootstrap_servers": kafka_bootstrap_servers,
        "ports": dict(ports),
        "pids": dict(pids),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(json.dumps(content, indent=2) + "\n")
    scratch.replace(path)


def remove_connection_file(path: Path) -> None:
    """Remove the file if it is ours (another launcher may have replaced it)."""
    with contextlib.suppress(FileNotFoundError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


def read_connection_file(path: Path) -> dict[str, Any] | None:
    try:
        content = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return content if isinstance(content, dict) else None
