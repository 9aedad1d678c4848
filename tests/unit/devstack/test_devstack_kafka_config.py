"""Kafka configuration and jar cache logic, without starting anything."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sluice_config import Settings
from sluice_devstack.errors import StartupError
from sluice_devstack.kafka import (
    CLUSTER_JVM_OPTIONS,
    JVM_OPTIONS,
    KafkaLayout,
    KafkaListen,
    bootstrap_servers,
    cluster,
    formatted_cluster_id,
    new_cluster_id,
    render_server_properties,
)
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


def test_cluster_of_three_listens_on_consecutive_port_pairs_when_planned() -> None:
    listens = cluster("127.0.0.1", 9092, 9093, 3, 6)
    assert [(x.node_id, x.port, x.controller_port) for x in listens] == [
        (1, 9092, 9093), (2, 9094, 9095), (3, 9096, 9097),
    ]  # fmt: skip
    assert bootstrap_servers(listens) == "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096"
    assert {x.voters for x in listens} == {"1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097"}
    assert {x.jvm_options for x in listens} == {CLUSTER_JVM_OPTIONS}
    [alone] = cluster("127.0.0.1", 9092, 9093, 1, 6)
    assert alone == KafkaListen("127.0.0.1", 9092, 9093, 6)
    assert (alone.voters, alone.jvm_options) == ("1@127.0.0.1:9093", JVM_OPTIONS)


def test_cluster_refuses_ports_that_collide_when_planned() -> None:
    with pytest.raises(StartupError, match="odd distance apart"):
        cluster("127.0.0.1", 9092, 9094, 3, 6)  # broker 2 would listen on the controller's port


def test_server_properties_keep_acknowledged_writes_on_a_cluster_when_rendered() -> None:
    template = (kafka_dir() / "server.properties.template").read_text()
    second = cluster("127.0.0.1", 19092, 19093, 3, 2)[1]
    props = _properties(render_server_properties(template, second, Path("/d")))
    assert props["node.id"] == "2"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19094,CONTROLLER://127.0.0.1:19095"
    assert props["controller.quorum.voters"].count("@") == 3
    factors = [v for k, v in props.items() if k.endswith("replication.factor")]
    assert len(factors) >= 3
    assert set(factors) == {"3"}  # internal topics (offsets, transactions) included
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"
    assert props["unclean.leader.election.enable"] == "false"


def test_cluster_id_is_kept_across_runs_when_formatted(tmp_path: Path) -> None:
    made = {new_cluster_id() for _ in range(50)}
    assert len(made) == 50
    assert all(len(x) == 22 and not x.startswith("-") for x in made)
    layouts = [KafkaLayout(tmp_path / f"kafka-{n}") for n in (1, 2, 3)]
    assert formatted_cluster_id(layouts) is None
    layouts[1].data.mkdir(parents=True)
    (layouts[1].data / "meta.properties").write_text("node.id=2\ncluster.id=AbC\nversion=1\n")
    assert formatted_cluster_id(layouts) == "AbC"


def test_kafka_brokers_setting_is_bounded_when_loaded() -> None:
    assert Settings().kafka_brokers == 1
    assert Settings(kafka_brokers=3).kafka_brokers == 3
    with pytest.raises(ValueError, match="kafka_brokers"):
        Settings(kafka_brokers=0)


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
