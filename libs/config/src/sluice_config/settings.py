"""The one settings model: every service, the CLI, the Helm chart and the
local launcher read the same ``WF_*`` environment variables.

When ``WF_DATABASE_URL`` / ``WF_KAFKA_BOOTSTRAP_SERVERS`` are unset, the
connection file written by ``sluice dev`` (``.cache/local-stack.json`` at the
repository root, or ``WF_LOCAL_STACK_FILE``) fills them in, so every ``sluice``
command finds the stack that ``sluice dev`` started.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def repository_root() -> Path:
    """The checkout's root: the nearest parent holding the workspace lock file."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "uv.lock").exists() and (parent / "libs").is_dir():
            return parent
    return Path.cwd()


def default_cache_dir() -> Path:
    return repository_root() / ".cache"


def default_ui_dir() -> Path:
    """Where ``make setup`` builds the web UI (``npm run build`` in ``ui/``)."""
    return repository_root() / "ui" / "dist"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WF_", extra="ignore", frozen=True)

    database_url: str | None = None
    kafka_bootstrap_servers: str | None = None
    topic_prefix: str = "wf."
    topic_partitions: int = Field(default=6, ge=1)
    # Copies of each partition `sluice topics create` asks for: 1 for the local
    # single broker; 3 on a production cluster (survives one broker down with
    # min.insync.replicas=2). Existing topics keep theirs.
    topic_replication_factor: int = Field(default=1, ge=1)

    # Kafka security (managed Kafka, Strimzi): PLAINTEXT locally; SSL, SASL_PLAINTEXT
    # or SASL_SSL elsewhere. SASL needs a username and password; SSL verifies the
    # broker against the system CAs, or kafka_ssl_cafile; a client certificate
    # (kafka_ssl_certfile + kafka_ssl_keyfile) is mutual TLS (Strimzi `tls` users).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None

    cache_dir: Path = Field(default_factory=default_cache_dir)
    local_stack_file: Path | None = None

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Where the operator commands (`sluice runs|events|tasks|definitions`) reach the API:
    # WF_API_URL, else http://<api_host>:<api_port> (the `sluice dev` API); the bearer
    # token they send is WF_API_TOKEN (or their --token).
    api_url: str | None = None
    api_token: SecretStr | None = None
    # The built web UI the API serves at /ui/ (container images set it to their copy).
    ui_dir: Path = Field(default_factory=default_ui_dir)
    ingest_port: int = 8001
    smtp_listen_port: int = 2525
    interpreter_port: int = 8002
    scheduler_port: int = 8003
    executor_port: int = 8004
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    # Brokers of the local stack's own Kafka (`sluice dev --kafka-brokers 3`): 1, or a
    # KRaft cluster on consecutive port pairs (kafka_port + 0, 2, 4...) whose topics
    # have 3 copies and min.insync.replicas 2: one broker, the leader too, may die.
    # Up to 5: each broker is a JVM (a 3-broker cluster takes ~1.2 GB at most).
    kafka_brokers: int = Field(default=1, ge=1, le=5)
    postgres_port: int = 5432

    # Inbound mail: 25 MiB = 26214400 bytes, the usual MTA message limit (Postfix and
    # Exchange Online defaults are 10-35 MB); bigger mail is refused (SMTP 552, HTTP 413).
    max_email_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # Webhook deliveries (POST /hooks/{hookId}): 1 MiB = 1048576 bytes, a JSON event;
    # GitHub caps its payloads at 25 MB but sends far less, Stripe events are a few KB.
    max_webhook_bytes: int = Field(default=1024 * 1024, ge=1024)
    # A signature's timestamp may be this far from our clock: 300 s, Stripe's default
    # tolerance (clock skew plus a sender's retry latency); older is refused as stale.
    webhook_tolerance_s: int = Field(default=300, ge=1)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025

    plugins: str = ""

    # Secrets (SPEC 15, sluice_secrets): values named by {"secretRef": ...} in action args.
    # The key(s) of the per-tenant encrypted table: Fernet keys (urlsafe base64 of 32
    # bytes, `sluice secrets new-key`), comma-separated, the first encrypts and every
    # one decrypts, so a new key goes first and the old one stays until
    # `sluice secrets rotate` has re-encrypted the table. None: the table provider is off.
    secrets_key: SecretStr | None = None
    # Mounted files (a Kubernetes Secret volume per tenant): <dir>/<tenant>/<name>.
    secrets_dir: Path | None = None
    # Environment variables: WF_SECRET_<TENANT>__<NAME> (upper case, "-" -> "_").
    secrets_env_prefix: str = "WF_SECRET_"
    # The http.request action's SSRF guard refuses private, loopback, link-local, CGNAT and
    # metadata addresses; a tenant listed here may reach these networks (JSON:
    # {"tenant": ["10.20.0.0/16", "127.0.0.1/32"]}).
    http_allow_networks: dict[str, list[str]] = Field(default_factory=dict)

    # Every PostgreSQL call is bounded, so a lost network path (a connection that
    # silently stops answering, which TCP notices only after ~2 h of keepalives) fails
    # a call instead of hanging a service: a statement (and then its cancel request)
    # gets database_command_timeout_s, opening a connection database_connect_timeout_s.
    # 30 s: ten times the slowest statement measured here (a 500-command batch write
    # under the runs bench, ~1-3 s); 10 s to connect: a TCP + TLS + auth handshake
    # takes milliseconds, a server that is starting up answers "not now" at once.
    database_command_timeout_s: float = Field(default=30.0, gt=0)
    database_connect_timeout_s: float = Field(default=10.0, gt=0)

    # Run engine (interpreter, executor, scheduler).
    executor_apart: bool = False  # true: the action executor runs as its own process (:8004)
    executor_concurrency: int = Field(default=64, ge=1)  # handlers in flight per executor
    # false: every action request becomes a leased job (no fast path for transactional ones)
    executor_fast_path: bool = True
    action_lease_s: float = Field(default=60.0, gt=0)  # a dead executor's jobs return after this
    redrive_after_s: float = Field(default=300.0, gt=0)  # RUNNING runs idle this long get Continue
    scheduler_poll_s: float = Field(default=0.25, gt=0)  # timers fire at most this late (+ relay)
    # Retention (SPEC 10): final runs with their history, events and dead letters older than
    # this many days are purged where no policy (PUT /retention-policies) says otherwise.
    retention_days: int = Field(default=30, ge=1)
    # A purge round every 5 minutes, 500 rows per transaction: a day of the runs bench's
    # peak (600 runs/s = 52M runs) would take ~100k batches, so a backlog drains over hours
    # in short transactions instead of one long delete that stalls live traffic.
    retention_interval_s: float = Field(default=300.0, gt=0)
    retention_batch: int = Field(default=500, ge=1)
    stuck_after_s: float = Field(default=120.0, gt=0)  # /healthz fails if a batch takes longer
    # Operations (bulk controls, exports; the API's workers): runs per batch, the pause
    # between batches, and the lease a worker renews every batch. 50 controls take
    # ~0.25 s here, so 30 s outlasts any batch; a dead worker's operation is taken over
    # by another replica within the lease plus a second.
    operation_batch: int = Field(default=50, ge=1, le=10_000)
    operation_pause_s: float = Field(default=0.05, ge=0)
    operation_lease_s: float = Field(default=30.0, gt=0)
    # Outbox wake-ups: NOTIFY on every commit, or relays polling every relay_poll_s.
    # PostgreSQL serialises NOTIFYing commits (a global lock held through the WAL
    # flush), so under load polling every 20 ms (50 index probes/s) scales better.
    outbox_notify: bool = False
    relay_poll_s: float = Field(default=0.02, gt=0)
    # API requests per tenant (token bucket per API process, sluice_http.rate_limit): 200 a
    # second sustained, bursts of 10 s worth (2000). A person in the console makes a few
    # requests a second and a script of sequential calls ~100 (10 ms each); 0 turns the
    # limit off. WF_API_RATE_TENANTS overrides the rate per tenant: {"acme": 500}.
    api_rate_per_s: float = Field(default=200.0, ge=0)
    api_rate_burst_s: float = Field(default=10.0, gt=0)
    api_rate_tenants: dict[str, float] = Field(default_factory=dict)
    log_level: str = "INFO"
    # JSON lines (one object per record: tenant, runId, stepPath, traceId when known) for
    # containers and log collectors; "text" for a terminal (`sluice dev` sets it).
    log_format: Literal["json", "text"] = "json"
    # OpenTelemetry traces (sluice_telemetry.traces): off unless an OTLP/HTTP collector is
    # named here (base URL, spans go to <it>/v1/traces) or by the standard
    # OTEL_EXPORTER_OTLP_ENDPOINT; the share of new traces kept (parent-based after that).
    otel_endpoint: str | None = None
    otel_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _kafka_security_complete(self) -> Settings:
        sasl = self.kafka_security_protocol.startswith("SASL")
        if sasl and not (self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError(
                f"WF_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "WF_KAFKA_SASL_USERNAME and WF_KAFKA_SASL_PASSWORD"
            )
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError(
                "WF_KAFKA_SSL_CERTFILE and WF_KAFKA_SSL_KEYFILE go together (mutual TLS)"
            )
        return self

    @property
    def api_base_url(self) -> str:
        """WF_API_URL, else this host's API (a wildcard listen address read as loopback)."""
        if self.api_url:
            return self.api_url.rstrip("/")
        host = "127.0.0.1" if self.api_host in ("0.0.0.0", "::", "") else self.api_host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.api_port}"

    @property
    def connection_file(self) -> Path:
        return self.local_stack_file or self.cache_dir / "local-stack.json"

    def with_local_stack(self) -> Settings:
        """Fill unset connection settings from the file ``sluice dev`` wrote."""
        if self.database_url and self.kafka_bootstrap_servers:
            return self
        path = self.connection_file
        if not path.exists():
            return self
        saved = json.loads(path.read_text())
        if not _writer_alive(saved):
            return self
        return self.model_copy(
            update={
                "database_url": self.database_url or saved.get("database_url"),
                "kafka_bootstrap_servers": self.kafka_bootstrap_servers
                or saved.get("kafka_bootstrap_servers"),
            }
        )


def _writer_alive(saved: dict[str, Any]) -> bool:
    """False for a file left behind by a ``sluice dev`` that was killed: its
    addresses point at processes that are gone, so they must not be used."""
    pid = saved.get("pid")
    if not isinstance(pid, int):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        pass
    return True


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, completed by the local connection file."""
    return Settings(**overrides).with_local_stack()
