"""Fetch the Kafka broker's jars from Maven Central into the git-ignored cache.

``deploy/local/kafka/pom.xml`` lists the broker as a dependency; Maven copies it
and its dependencies into ``<cache>/kafka/<version>/libs``. A marker file there
records the pom's hash and the jar names, so a second ``sluice setup`` costs
nothing, and an edited pom (new version, new dependency) fetches again.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from sluice_config import repository_root

from sluice_devstack.errors import FetchError
from sluice_devstack.tools import require_java, require_tool

MARKER = ".sluice-complete.json"
MAVEN_TIMEOUT_S = 600  # a cold ~/.m2 on a slow link; normally 5-30 s

Echo = Callable[[str], None]


def kafka_dir() -> Path:
    """``deploy/local/kafka``: the pom, the server.properties template, log4j2."""
    return repository_root() / "deploy" / "local" / "kafka"


def kafka_version(pom: Path | None = None) -> str:
    """The ``kafka.version`` property of the pom (the one place it is set)."""
    text = (pom or kafka_dir() / "pom.xml").read_text()
    match = re.search(r"<kafka\.version>\s*([^<\s]+)\s*</kafka\.version>", text)
    if match is None:
        raise FetchError(f"no <kafka.version> property in {pom}")
    return match.group(1)


def jar_dir(cache_dir: Path, version: str) -> Path:
    return cache_dir / "kafka" / version / "libs"


def jars_ready(libs: Path, pom: Path) -> bool:
    """True when ``libs`` was filled from exactly this pom and no jar is missing."""
    try:
        marker = json.loads((libs / MARKER).read_text())
    except (FileNotFoundError, ValueError):
        return False
    if marker.get("pom_sha256") != _sha256(pom):
        return False
    return all((libs / name).is_file() for name in marker.get("jars", []))


def ensure_kafka_jars(cache_dir: Path, echo: Echo = print) -> Path:
    """The directory holding the broker's jars, fetched with Maven if needed."""
    pom = kafka_dir() / "pom.xml"
    version = kafka_version(pom)
    libs = jar_dir(cache_dir, version)
    if jars_ready(libs, pom):
        echo(f"Kafka {version}: jars already in {libs}")
        return libs
    mvn = require_tool("mvn", "to fetch the Kafka broker's jars from Maven Central")
    require_java()  # Maven itself runs on Java; fail with the clear message first
    echo(f"Kafka {version}: fetching the broker's jars from Maven Central into {libs} ...")
    started = time.monotonic()
    _copy_dependencies(mvn, pom, libs)
    jars = sorted(p.name for p in libs.glob("*.jar"))
    (libs / MARKER).write_text(json.dumps({"pom_sha256": _sha256(pom), "jars": jars}, indent=1))
    echo(f"Kafka {version}: {len(jars)} jars fetched in {time.monotonic() - started:.1f} s")
    return libs


def _copy_dependencies(mvn: str, pom: Path, libs: Path) -> None:
    """Run Maven into a scratch directory, then move it into place, so an
    interrupted fetch never leaves a half-filled ``libs`` that looks complete."""
    partial = libs.with_name(libs.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        mvn, "-B", "-q", "--no-transfer-progress", "-Dstyle.color=never",
        "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={partial}",
    ]  # fmt: skip
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=MAVEN_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise FetchError(
            f"Maven did not finish within {MAVEN_TIMEOUT_S} s: {' '.join(argv)}"
        ) from exc
    if done.returncode != 0 or not any(partial.glob("kafka_2.13-*.jar")):
        output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
        raise FetchError(
            f"Maven could not fetch the Kafka jars (exit {done.returncode}).\n"
            f"Command: {' '.join(argv)}\nOutput:\n{output}"
        )
    shutil.rmtree(libs, ignore_errors=True)
    partial.rename(libs)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
