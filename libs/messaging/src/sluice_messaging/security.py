"""How Sluice's Kafka clients authenticate: one translation of the settings.

``WF_KAFKA_SECURITY_PROTOCOL`` (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL) and
its companions (``WF_KAFKA_SASL_*``, ``WF_KAFKA_SSL_*``) become the keyword
arguments every aiokafka client takes (producer, consumer, admin); the
interpreter hands the same values to Faust. Locally everything is PLAINTEXT and
this adds only ``security_protocol="PLAINTEXT"``.
"""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka.helpers import create_ssl_context
from sluice_config import Settings


def kafka_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context for SSL / SASL_SSL (system CAs unless a CA file is set)."""
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    context: ssl.SSLContext = create_ssl_context(
        cafile=_path(settings.kafka_ssl_cafile),
        certfile=_path(settings.kafka_ssl_certfile),
        keyfile=_path(settings.kafka_ssl_keyfile),
    )
    return context


def kafka_client_options(settings: Settings) -> dict[str, Any]:
    """aiokafka keyword arguments for the configured security protocol."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    context = kafka_ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.kafka_security_protocol.startswith("SASL"):
        password = settings.kafka_sasl_password
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def _path(value: object) -> str | None:
    return None if value is None else str(value)
