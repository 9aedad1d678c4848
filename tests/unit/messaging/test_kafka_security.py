"""Kafka security settings: one translation for aiokafka clients and Faust;
incomplete settings are refused by name."""

from __future__ import annotations

import ssl

import faust
import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sluice_cli.main import cli
from sluice_config import Settings
from sluice_interpreter.app import broker_credentials
from sluice_messaging.security import kafka_client_options


def test_plaintext_adds_only_the_protocol() -> None:
    settings = Settings(kafka_bootstrap_servers="k:9092")
    assert kafka_client_options(settings) == {"security_protocol": "PLAINTEXT"}
    assert broker_credentials(settings) is None


def test_sasl_ssl_gives_mechanism_credentials_and_tls() -> None:
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="sluice",
        kafka_sasl_password="s3cret",
    )
    options = kafka_client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("sluice", "s3cret")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    creds = broker_credentials(settings)
    assert isinstance(creds, faust.SASLCredentials)
    assert creds.protocol.value == "SASL_SSL"
    assert creds.mechanism.value == "SCRAM-SHA-256"
    assert "s3cret" not in repr(settings)  # the password never shows in logs


def test_ssl_alone_uses_tls_without_sasl() -> None:
    settings = Settings(kafka_security_protocol="SSL")
    options = kafka_client_options(settings)
    assert set(options) == {"security_protocol", "ssl_context"}
    assert isinstance(broker_credentials(settings), faust.SSLCredentials)


def test_sasl_without_password_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="needs WF_KAFKA_SASL_USERNAME and WF_KAFKA_SASL"):
        Settings(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="sluice")


def test_client_certificate_without_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="WF_KAFKA_SSL_CERTFILE and WF_KAFKA_SSL_KEYFILE"):
        Settings(kafka_security_protocol="SSL", kafka_ssl_certfile="/tls/user.crt")


def test_unknown_protocol_is_refused() -> None:
    with pytest.raises(ValidationError, match="kafka_security_protocol"):
        Settings(kafka_security_protocol="KERBEROS")


def test_topics_create_reports_bad_security_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WF_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.delenv("WF_KAFKA_SASL_PASSWORD", raising=False)
    result = CliRunner().invoke(cli, ["topics", "create", "--bootstrap-servers", "k:9092"])
    assert result.exit_code == 1
    assert "sluice topics: error: bad settings" in result.output
    assert "WF_KAFKA_SASL_PASSWORD" in result.output
