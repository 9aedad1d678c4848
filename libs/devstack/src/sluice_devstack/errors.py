"""Errors of the local stack launcher. Each message says what failed, where,
and what to do next, because a developer reads it in a terminal."""

from __future__ import annotations

from workflow_core.errors import SluiceError


class DevstackError(SluiceError):
    """Root of the launcher's errors."""

    code = "DEVSTACK_ERROR"


class ToolMissingError(DevstackError):
    """``java`` or ``mvn`` is not installed (or too old)."""

    code = "DEVSTACK_TOOL_MISSING"


class PortInUseError(DevstackError):
    """A port the stack needs is already taken by another process."""

    code = "DEVSTACK_PORT_IN_USE"


class FetchError(DevstackError):
    """Maven could not fetch the Kafka broker's jars."""

    code = "DEVSTACK_FETCH_FAILED"


class StartupError(DevstackError):
    """A child process exited during start-up or was not ready in time."""

    code = "DEVSTACK_STARTUP_FAILED"


class StackBusyError(DevstackError):
    """Another live launcher already owns this state directory."""

    code = "DEVSTACK_BUSY"
