"""secretRef grammar, the env and file providers, the cipher, the resolver (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sluice_secrets import (
    EnvProvider,
    FileProvider,
    InvalidSecretRefError,
    SecretCipher,
    SecretNotFoundError,
    SecretRef,
    SecretResolver,
    SecretsKeyError,
    new_key,
    parse_ref,
    ref_problem,
)


def test_refs_name_a_provider_or_default_to_the_table() -> None:
    assert parse_ref("env:API_TOKEN") == SecretRef("env", "API_TOKEN")
    assert parse_ref("file:smtp.password") == SecretRef("file", "smtp.password")
    assert parse_ref("crm-key") == SecretRef("table", "crm-key")


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [("vault:x", "unknown provider 'vault'"), ("env:../etc", "the name must match"),
     ("", "the name must match"), (3, "must be a string")],
)  # fmt: skip
def test_bad_refs_are_named(ref: object, fragment: str) -> None:
    with pytest.raises(InvalidSecretRefError, match=fragment):
        parse_ref(ref)


def test_a_ref_object_holds_only_the_ref_and_a_prefix() -> None:
    assert ref_problem({"secretRef": "env:A", "prefix": "Bearer "}) is None
    assert "not value" in str(ref_problem({"secretRef": "env:A", "value": "x"}))


async def test_env_secrets_are_per_tenant_and_never_the_services_settings() -> None:
    env = EnvProvider({"WF_SECRET_ACME_CO__API_TOKEN": "t1", "WF_DATABASE_URL": "pg://"})
    assert await env.get("acme-co", "api-token") == "t1"
    assert await env.get("other", "api-token") is None
    assert await env.get("acme-co", "DATABASE_URL") is None
    with pytest.raises(InvalidSecretRefError, match="'--'"):
        await env.get("a--b", "x")


async def test_file_secrets_are_one_file_per_key_under_the_tenant(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "smtp.password").write_text("pw-123\n")
    files = FileProvider(tmp_path)
    assert await files.get("acme", "smtp.password") == "pw-123"
    assert await files.get("other", "smtp.password") is None
    assert await files.get("acme", "missing") is None


def test_the_cipher_binds_a_value_to_its_row_and_rotates() -> None:
    old, new = new_key(), new_key()
    sealed = SecretCipher(old).seal("acme", "k", "v-1")
    assert b"v-1" not in sealed
    both = SecretCipher(f"{new},{old}")
    assert both.open("acme", "k", sealed) == "v-1"
    with pytest.raises(SecretsKeyError, match="bound to another row"):
        both.open("other", "k", sealed)
    rotated = both.rotate(sealed)
    assert SecretCipher(new).open("acme", "k", rotated) == "v-1"
    with pytest.raises(SecretsKeyError, match="does not decrypt"):
        SecretCipher(new).open("acme", "k", sealed)
    with pytest.raises(SecretsKeyError, match="Fernet key"):
        SecretCipher("not-a-key")


async def test_the_resolver_replaces_refs_and_returns_the_values() -> None:
    resolver = SecretResolver({"env": EnvProvider({"WF_SECRET_T__TOKEN": "tok-9"})})
    resolved = await resolver.resolve(
        "t", {"h": {"A": {"secretRef": "env:TOKEN", "prefix": "Bearer "}}, "n": [1]}
    )
    assert resolved.value == {"h": {"A": "Bearer tok-9"}, "n": [1]}
    assert resolved.secrets == ("tok-9",)
    with pytest.raises(SecretNotFoundError, match="'table' provider is not configured"):
        await resolver.resolve("t", {"secretRef": "x"})
    with pytest.raises(SecretNotFoundError, match="no such secret"):
        await resolver.resolve("t", {"secretRef": "env:OTHER"})
