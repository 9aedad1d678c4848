"""The provider protocol and the two providers that read the process's surroundings.

A provider answers one question: the value of secret ``name`` for ``tenant_id``,
or None when it has none. Every provider is tenant-scoped, so a workflow can
never name another tenant's secret:

- ``EnvProvider``: ``WF_SECRET_<TENANT>__<NAME>`` (upper case, ``-`` and ``.``
  become ``_``). Only variables under the prefix are readable, never the
  service's own settings (``WF_DATABASE_URL`` is not a secret a run may read).
- ``FileProvider``: ``<dir>/<tenant>/<name>``, one file per key: a Kubernetes
  Secret mounted per tenant (``volumeMounts: mountPath: <dir>/<tenant>``). The
  file is read at every resolution, so a rotated Secret (the kubelet swaps the
  files) is seen without a restart. A trailing newline is dropped (``echo >``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from sluice_secrets.refs import InvalidSecretRefError


class SecretProvider(Protocol):
    """Where secret values come from; registered in a ``SecretResolver`` by name."""

    async def get(self, tenant_id: str, name: str) -> str | None: ...


def env_name(prefix: str, tenant_id: str, name: str) -> str:
    if "--" in tenant_id:  # "a--b" would collide with tenant "a", name "B_..."
        raise InvalidSecretRefError(
            f"tenant {tenant_id!r} contains '--': environment secrets cannot name it apart"
        )
    return f"{prefix}{_upper(tenant_id)}__{_upper(name)}"


def _upper(text: str) -> str:
    return text.upper().replace("-", "_").replace(".", "_")


class EnvProvider:
    def __init__(self, environ: Mapping[str, str], prefix: str = "WF_SECRET_") -> None:
        self.environ = environ
        self.prefix = prefix

    async def get(self, tenant_id: str, name: str) -> str | None:
        return self.environ.get(env_name(self.prefix, tenant_id, name))


class FileProvider:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def get(self, tenant_id: str, name: str) -> str | None:
        # Names are [A-Za-z0-9][A-Za-z0-9._-]* (refs.NAME_RE) and tenants [a-z0-9-]:
        # neither can hold "/" or start with ".", so the path stays under the directory.
        path = self.directory / tenant_id / name
        return await asyncio.to_thread(_read, path)


def _read(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    return text[:-1] if text.endswith("\n") else text


def process_environ() -> Mapping[str, str]:
    return os.environ
