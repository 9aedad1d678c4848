"""``load_settings`` completes unset connection settings from ``sluice dev``'s file."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sluice_config import load_settings


@pytest.fixture
def stack_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("WF_DATABASE_URL", raising=False)
    monkeypatch.delenv("WF_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    path = tmp_path / "local-stack.json"
    monkeypatch.setenv("WF_LOCAL_STACK_FILE", str(path))
    return path


def _write(path: Path, pid: int) -> None:
    saved = {"pid": pid, "database_url": "postgresql://db", "kafka_bootstrap_servers": "k:1"}
    path.write_text(json.dumps(saved))


def test_load_settings_reads_connection_file_when_writer_alive(stack_file: Path) -> None:
    _write(stack_file, os.getpid())
    settings = load_settings()
    assert settings.database_url == "postgresql://db"
    assert settings.kafka_bootstrap_servers == "k:1"


def test_load_settings_ignores_connection_file_when_writer_dead(stack_file: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    _write(stack_file, int(finished.stdout))
    settings = load_settings()
    assert settings.database_url is None
    assert settings.kafka_bootstrap_servers is None


def test_load_settings_prefers_environment_over_connection_file(
    stack_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(stack_file, os.getpid())
    monkeypatch.setenv("WF_DATABASE_URL", "postgresql://env")
    assert load_settings().database_url == "postgresql://env"
