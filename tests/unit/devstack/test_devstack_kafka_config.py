"""Kafka configuration and jar cache logic, without starting anything."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sluice_devstack.kafka import KafkaListen, render_server_properties
from sluice_devstack.kafka_jars import MARKER, jars_ready, kafka_dir, kafka_version
from sluice_devstack.tools import parse_java_major
from sluice_messaging.topics import Topics


def _properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#")
    return {key.strip(): value.strip() for key, value in pairs}


def test_server_properties_render_when_given_ports() -> None:
    template = (kafka_dir() / "server.properties.template").read_text()
    listen = KafkaListen("127.0.0.1", 19092, 19093, partitions=4)
    props = _properties(render_server_properties(template, listen, Path("/data/k")))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["log.dirs"] == "/data/k"
    assert props["num.partitions"] == "4"


def test_server_properties_fit_a_single_node_when_rendered() -> None:
    template = (kafka_dir() / "server.properties.template").read_text()
    props = _properties(render_server_properties(template, KafkaListen("h", 1, 2), Path("/d")))
    assert props["auto.create.topics.enable"] == "false"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    factors = [v for k, v in props.items() if k.endswith("replication.factor")]
    assert len(factors) >= 3
    assert set(factors) == {"1"}


def test_kafka_version_reads_pom_when_checked_in() -> None:
    major, *_ = kafka_version().split(".")
    assert major == "4"


def test_jars_ready_only_when_marker_matches_pom(tmp_path: Path) -> None:
    pom = tmp_path / "pom.xml"
    pom.write_text("<kafka.version>4.4.0</kafka.version>")
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / "kafka_2.13-4.4.0.jar").write_bytes(b"jar")
    assert not jars_ready(libs, pom)
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    (libs / MARKER).write_text(json.dumps({"pom_sha256": digest, "jars": ["kafka_2.13-4.4.0.jar"]}))
    assert jars_ready(libs, pom)
    pom.write_text("<kafka.version>4.4.1</kafka.version>")
    assert not jars_ready(libs, pom)


def test_jars_ready_false_when_a_listed_jar_is_missing(tmp_path: Path) -> None:
    pom = tmp_path / "pom.xml"
    pom.write_text("x")
    digest = hashlib.sha256(b"x").hexdigest()
    (tmp_path / MARKER).write_text(json.dumps({"pom_sha256": digest, "jars": ["gone.jar"]}))
    assert not jars_ready(tmp_path, pom)


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_392"', 8),
        ("garbage", None),
    ],
)
def test_parse_java_major_when_given_version_output(output: str, major: int | None) -> None:
    assert parse_java_major(output) == major


def test_topics_names_follow_prefix_when_built() -> None:
    topics = Topics.from_prefix("t1.")
    assert topics.run_commands == "t1.run-commands"
    assert topics.all() == (
        "t1.events",
        "t1.run-commands",
        "t1.action-requests",
        "t1.run-updates",
        "t1.dlq",
    )
    assert Topics.from_prefix().events == "wf.events"
