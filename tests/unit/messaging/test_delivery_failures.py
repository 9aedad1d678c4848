"""What a failed send says about the message (``sluice_messaging.delivery``)."""

from __future__ import annotations

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    OutOfOrderSequenceNumber,
    TopicAuthorizationFailedError,
    UnknownError,
    UnknownTopicOrPartitionError,
)
from sluice_messaging.delivery import SendFailure


@pytest.mark.parametrize("error", [MessageSizeTooLargeError(), TopicAuthorizationFailedError("t")])
def test_refusal_is_the_messages_fault_when_the_broker_rejects_the_record(
    error: Exception,
) -> None:
    assert SendFailure(error, reached_broker=True).refused


@pytest.mark.parametrize(
    "error",
    [KafkaConnectionError(), KafkaTimeoutError(), NotLeaderForPartitionError(), UnknownError()],
)
def test_failure_is_transient_when_the_path_failed_or_the_cause_is_unknown(
    error: Exception,
) -> None:
    failure = SendFailure(error, reached_broker=True)
    assert (failure.refused, failure.unknown_topic, failure.producer_broken) == (False,) * 3


def test_unknown_topic_is_only_a_suspect_until_the_cluster_confirms() -> None:
    failure = SendFailure(UnknownTopicOrPartitionError(), reached_broker=False)
    assert (failure.refused, failure.unknown_topic, failure.needs_new_producer) == (
        False, True, False,
    )  # fmt: skip


def test_new_producer_is_needed_after_a_broker_failure_or_a_broken_sequence() -> None:
    assert SendFailure(MessageSizeTooLargeError(), reached_broker=True).needs_new_producer
    assert not SendFailure(MessageSizeTooLargeError(), reached_broker=False).needs_new_producer
    assert SendFailure(OutOfOrderSequenceNumber(), reached_broker=False).needs_new_producer
    assert SendFailure(OutOfOrderSequenceNumber(), reached_broker=True).producer_broken
