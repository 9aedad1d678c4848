"""Find the external programs the stack needs and say clearly when one is missing."""

from __future__ import annotations

import re
import shutil
import subprocess

from sluice_devstack.errors import ToolMissingError

MIN_JAVA = 17  # Kafka 4 brokers need Java 17+

_INSTALL_HINTS = {
    "java": "install a Java 17+ runtime, e.g. `apt-get install openjdk-17-jre-headless`",
    "mvn": "install Maven, e.g. `apt-get install maven`",
}


def require_tool(name: str, purpose: str) -> str:
    """The absolute path of ``name`` on PATH, or a ToolMissingError naming the fix."""
    path = shutil.which(name)
    if path is None:
        hint = _INSTALL_HINTS.get(name, f"install {name}")
        raise ToolMissingError(
            f"`{name}` was not found on PATH; it is needed {purpose}. Fix: {hint}."
        )
    return path


def parse_java_major(version_output: str) -> int | None:
    """The major version from ``java -version`` output (``"17.0.15"`` -> 17,
    old style ``"1.8.0_392"`` -> 8), or None when it cannot be read."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def require_java() -> str:
    """The ``java`` executable, checked to be Java 17 or newer."""
    java = require_tool("java", "to run the Kafka broker")
    out = subprocess.run(
        [java, "-version"], capture_output=True, text=True, timeout=30, check=False
    )
    major = parse_java_major(out.stderr + out.stdout)
    if major is not None and major < MIN_JAVA:
        raise ToolMissingError(
            f"`{java}` is Java {major}; the Kafka 4 broker needs Java {MIN_JAVA}+. "
            f"Fix: {_INSTALL_HINTS['java']} and put it first on PATH."
        )
    return java
