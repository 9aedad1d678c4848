"""Secrets named by ``{"secretRef": "provider:name"}`` (SPEC section 15); see README.md.

- ``SecretResolver`` / ``build_resolver(settings, pool)``: providers by name,
  ``resolve(tenant, value)`` -> ``Resolved(value, secrets)``.
- Providers (``SecretProvider`` protocol): ``EnvProvider``, ``FileProvider``,
  ``TableProvider`` (the encrypted ``tenant_secrets`` table).
- ``TenantSecretRepository``: write-only management (put, delete, list names).
- ``SecretCipher``: Fernet/MultiFernet under ``WF_SECRETS_KEY``; ``rotate_all``.
"""

from sluice_secrets.cipher import SecretCipher, SecretsKeyError, new_key
from sluice_secrets.providers import EnvProvider, FileProvider, SecretProvider, env_name
from sluice_secrets.refs import (
    InvalidSecretRefError,
    SecretError,
    SecretNotFoundError,
    SecretRef,
    iter_refs,
    parse_ref,
    ref_problem,
)
from sluice_secrets.resolver import (
    Resolved,
    SecretResolver,
    build_resolver,
    cipher_from,
    optional_cipher,
)
from sluice_secrets.table import (
    SecretMeta,
    TableProvider,
    TenantSecretRepository,
    check_name,
    rotate_all,
)

__all__ = [
    "EnvProvider",
    "FileProvider",
    "InvalidSecretRefError",
    "Resolved",
    "SecretCipher",
    "SecretError",
    "SecretMeta",
    "SecretNotFoundError",
    "SecretProvider",
    "SecretRef",
    "SecretResolver",
    "SecretsKeyError",
    "TableProvider",
    "TenantSecretRepository",
    "build_resolver",
    "check_name",
    "cipher_from",
    "env_name",
    "iter_refs",
    "new_key",
    "optional_cipher",
    "parse_ref",
    "ref_problem",
    "rotate_all",
]
