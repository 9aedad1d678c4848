"""The names of Sluice's Kafka topics, in one place (ARCHITECTURE, "Kafka topics").

Every topic name is ``<prefix><base>``: the default prefix ``wf.`` gives
``wf.events`` and so on; tests use a fresh uuid prefix each so they never see
each other's messages (isolation by namespace, not by teardown).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

DEFAULT_PREFIX = "wf."


@dataclass(frozen=True)
class Topics:
    """Full topic names for one prefix; build it with :meth:`from_prefix`."""

    events: str
    run_commands: str
    action_requests: str
    run_updates: str
    dlq: str

    @classmethod
    def from_prefix(cls, prefix: str = DEFAULT_PREFIX) -> Topics:
        return cls(
            events=f"{prefix}events",
            run_commands=f"{prefix}run-commands",
            action_requests=f"{prefix}action-requests",
            run_updates=f"{prefix}run-updates",
            dlq=f"{prefix}dlq",
        )

    def all(self) -> tuple[str, ...]:
        """Every topic name, in the order of the architecture's table."""
        return tuple(str(name) for name in astuple(self))
