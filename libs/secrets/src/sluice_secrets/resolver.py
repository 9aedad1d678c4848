"""The ``secretRef`` resolver (SPEC section 15): pluggable providers, resolved in the services.

The core never sees a value: action args hold ``{"secretRef": ...}`` objects
from the definition to the executor (run state, history, invocations, Kafka).
An action handler that needs the values calls ``resolve(tenant, args)`` right
before it uses them and gets a copy with each reference replaced by its value,
plus the values themselves, so it can scrub them out of everything it returns
(``workflow_core.redaction.scrub``): a server echoing a token back never writes
it into the run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from pydantic import JsonValue
from sluice_config.settings import Settings
from workflow_core.redaction import SECRET_REF

from sluice_secrets.cipher import SecretCipher
from sluice_secrets.providers import EnvProvider, FileProvider, SecretProvider
from sluice_secrets.refs import (
    PREFIX,
    InvalidSecretRefError,
    SecretNotFoundError,
    SecretRef,
    is_ref_object,
    parse_ref,
    ref_problem,
)
from sluice_secrets.table import TableProvider


@dataclass(frozen=True)
class Resolved:
    """Args with their references replaced, and the values put in (to scrub)."""

    value: JsonValue
    secrets: tuple[str, ...]


@dataclass
class SecretResolver:
    providers: Mapping[str, SecretProvider] = field(default_factory=dict)

    async def value(self, tenant_id: str, ref: SecretRef) -> str:
        provider = self.providers.get(ref.provider)
        if provider is None:
            raise SecretNotFoundError(
                f"secretRef {str(ref)!r}: the {ref.provider!r} provider is not configured "
                f"in this deployment ({_how_to_enable(ref.provider)})"
            )
        found = await provider.get(tenant_id, ref.name)
        if found is None:
            raise SecretNotFoundError(
                f"secretRef {str(ref)!r}: no such secret in tenant {tenant_id!r}"
            )
        return found

    async def resolve(self, tenant_id: str, value: JsonValue) -> Resolved:
        found: list[str] = []
        resolved = await self._walk(tenant_id, value, found)
        return Resolved(resolved, tuple(found))

    async def _walk(self, tenant_id: str, value: Any, found: list[str]) -> Any:
        if is_ref_object(value):
            problem = ref_problem(value)
            if problem is not None:
                raise InvalidSecretRefError(problem)
            secret = await self.value(tenant_id, parse_ref(value[SECRET_REF]))
            found.append(secret)
            return str(value.get(PREFIX, "")) + secret
        if isinstance(value, dict):
            return {k: await self._walk(tenant_id, v, found) for k, v in value.items()}
        if isinstance(value, list):
            return [await self._walk(tenant_id, v, found) for v in value]
        return value


def _how_to_enable(provider: str) -> str:
    return {
        "table": "set WF_SECRETS_KEY",
        "file": "set WF_SECRETS_DIR",
        "env": "environment secrets are always on",
    }.get(provider, "unknown provider")


def build_resolver(settings: Settings, pool: asyncpg.Pool | None) -> SecretResolver:
    """The providers this deployment configures: env always, files with ``WF_SECRETS_DIR``,
    the table with ``WF_SECRETS_KEY`` (and a pool)."""
    providers: dict[str, SecretProvider] = {
        "env": EnvProvider(os.environ, settings.secrets_env_prefix)
    }
    if settings.secrets_dir is not None:
        providers["file"] = FileProvider(settings.secrets_dir)
    if settings.secrets_key is not None and pool is not None:
        providers["table"] = TableProvider(pool, cipher_from(settings))
    return SecretResolver(providers)


def optional_cipher(settings: Settings) -> SecretCipher | None:
    """The cipher when ``WF_SECRETS_KEY`` is set (webhook secrets are sealed with it)."""
    return cipher_from(settings) if settings.secrets_key is not None else None


def cipher_from(settings: Settings) -> SecretCipher:
    if settings.secrets_key is None:
        raise SecretNotFoundError("WF_SECRETS_KEY is not set: the secrets table is off")
    return SecretCipher(settings.secrets_key.get_secret_value())
