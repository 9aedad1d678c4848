"""Encryption of the table's values: Fernet under ``WF_SECRETS_KEY``, rotation by MultiFernet.

``WF_SECRETS_KEY`` holds one or more Fernet keys, comma-separated. The first
encrypts; every one decrypts. Rotating: generate a key (``sluice secrets
new-key``), put it FIRST in ``WF_SECRETS_KEY`` (old key after it) on every
service, run ``sluice secrets rotate`` (re-encrypts every row under the first
key), then drop the old key. Fernet tokens authenticate (HMAC-SHA256), so a
value encrypted under another key or tampered with is refused, never misread.

Each value is bound to its row: the plaintext sealed is ``tenant \\0 name \\0
value``, so a ciphertext copied onto another tenant's or name's row does not
decrypt as that secret.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from sluice_secrets.refs import SecretError


class SecretsKeyError(SecretError):
    code = "SECRETS_KEY"


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


class SecretCipher:
    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise SecretsKeyError("WF_SECRETS_KEY is empty")
        try:
            self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in parts])
        except (ValueError, UnicodeEncodeError) as exc:
            raise SecretsKeyError(
                "WF_SECRETS_KEY: every key must be a Fernet key (urlsafe base64 of 32 bytes; "
                "`sluice secrets new-key` makes one)"
            ) from exc

    def seal(self, tenant_id: str, name: str, value: str) -> bytes:
        return self._fernet.encrypt(_bound(tenant_id, name, value))

    def open(self, tenant_id: str, name: str, token: bytes) -> str:
        try:
            plain = self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise SecretsKeyError(
                f"secret {name!r} of tenant {tenant_id!r} does not decrypt with WF_SECRETS_KEY "
                "(a key was dropped before `sluice secrets rotate`?)"
            ) from exc
        head = _bound(tenant_id, name, "")
        if not plain.startswith(head):
            raise SecretsKeyError(
                f"secret {name!r} of tenant {tenant_id!r} is bound to another row"
            )
        return plain[len(head) :].decode("utf-8")

    def rotate(self, token: bytes) -> bytes:
        """The same plaintext under the first key (MultiFernet.rotate)."""
        return self._fernet.rotate(token)


def _bound(tenant_id: str, name: str, value: str) -> bytes:
    return f"{tenant_id}\0{name}\0{value}".encode()
