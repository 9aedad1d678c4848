"""Who holds which partition: a consumer group as the broker sees it.

Read from outside the group with an admin client (``DescribeGroups``), so a
test can watch partitions move from a killed instance to the survivors. A
Faust worker's member assignment is the consumer protocol's (topic ->
partitions) with Faust's own user data after it, which is not needed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

TopicPartitions = frozenset[tuple[str, int]]


@dataclass(frozen=True)
class GroupState:
    state: str  # Stable, PreparingRebalance, CompletingRebalance, Empty, Dead
    members: dict[str, TopicPartitions]  # member id -> what it was assigned

    def holders(self, topic: str) -> dict[int, list[str]]:
        """Partition of ``topic`` -> the members that hold it."""
        held: dict[int, list[str]] = {}
        for member, parts in self.members.items():
            for name, partition in parts:
                if name == topic:
                    held.setdefault(partition, []).append(member)
        return held

    def covers(self, topic: str, partitions: int, members: int) -> bool:
        """Stable with ``members`` members, every partition of ``topic`` held by one."""
        held = self.holders(topic)
        return (
            self.state == "Stable"
            and len(self.members) == members
            and sorted(held) == list(range(partitions))
            and all(len(owners) == 1 for owners in held.values())
        )


async def describe_group(bootstrap: str, group: str) -> GroupState:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    [described] = response.groups
    _error, _group, state, _protocol_type, _protocol, members = described[:6]
    found: dict[str, TopicPartitions] = {}
    for member in members:
        member_id, assignment = member[0], member[-1]
        decoded = ConsumerProtocolMemberAssignment.decode(assignment) if assignment else None
        found[member_id] = frozenset(
            (topic, p) for topic, parts in (decoded.assignment if decoded else []) for p in parts
        )
    return GroupState(state, found)
