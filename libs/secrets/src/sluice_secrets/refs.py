"""``{"secretRef": "provider:name"}``: how a definition names a secret (SPEC section 15).

The reference is a name, never a value: it is stored in definitions, run state and
invocations like any literal, and redaction masks every *other* field of an object
that holds one. Grammar: ``"<provider>:<name>"`` with provider ``env``, ``file`` or
``table``, or a bare ``"<name>"`` for the tenant's table. Names are
``[A-Za-z0-9][A-Za-z0-9._-]{0,127}``: safe as a file name and an environment
variable suffix. ``prefix`` (optional, e.g. ``"Bearer "``) is put before the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from workflow_core.errors import SluiceError
from workflow_core.redaction import SECRET_REF

PROVIDERS = ("env", "file", "table")
DEFAULT_PROVIDER = "table"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
PREFIX = "prefix"
# What a secretRef object may hold besides the reference.
REF_FIELDS = frozenset({SECRET_REF, PREFIX})


class SecretError(SluiceError):
    code = "SECRET_ERROR"


class InvalidSecretRefError(SecretError):
    code = "INVALID_SECRET_REF"


class SecretNotFoundError(SecretError):
    """No provider holds the secret for this tenant (or its provider is not configured)."""

    code = "SECRET_NOT_FOUND"


@dataclass(frozen=True)
class SecretRef:
    provider: str
    name: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.name}"


def parse_ref(text: object) -> SecretRef:
    """``"env:API_TOKEN"`` -> SecretRef("env", "API_TOKEN"); a clear error otherwise."""
    if not isinstance(text, str):
        raise InvalidSecretRefError(f"secretRef must be a string, not {type(text).__name__}")
    provider, sep, name = text.partition(":")
    if not sep:
        provider, name = DEFAULT_PROVIDER, text
    if provider not in PROVIDERS:
        known = ", ".join(PROVIDERS)
        raise InvalidSecretRefError(f"secretRef {text!r}: unknown provider {provider!r} ({known})")
    if not NAME_RE.match(name):
        raise InvalidSecretRefError(
            f"secretRef {text!r}: the name must match [A-Za-z0-9][A-Za-z0-9._-]{{0,127}}"
        )
    return SecretRef(provider, name)


def is_ref_object(value: object) -> bool:
    return isinstance(value, dict) and SECRET_REF in value


def ref_problem(value: dict[str, Any]) -> str | None:
    """Why a secretRef object is malformed (None: it is fine)."""
    extra = sorted(set(value) - REF_FIELDS)
    if extra:
        return f"a secretRef object holds only secretRef and prefix, not {', '.join(extra)}"
    if PREFIX in value and not isinstance(value[PREFIX], str):
        return "secretRef's prefix must be a string"
    try:
        parse_ref(value[SECRET_REF])
    except InvalidSecretRefError as exc:
        return str(exc)
    return None


def iter_refs(value: Any) -> Iterator[dict[str, Any]]:
    """Every secretRef object inside a JSON value, depth first."""
    if is_ref_object(value):
        yield value
    elif isinstance(value, dict):
        for child in value.values():
            yield from iter_refs(child)
    elif isinstance(value, list):
        for child in value:
            yield from iter_refs(child)
