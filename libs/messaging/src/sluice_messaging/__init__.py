"""Sluice messaging: the Kafka envelope, event parsing, producer and DLQ helpers.

``topics`` (``Topics``) and ``admin`` (``ensure_topics``) live beside these
modules and are imported from there directly.
"""

from sluice_messaging.dlq import DeadLetter, DeadLetterPublisher, DeadLetterSink
from sluice_messaging.envelope import Envelope, decode, encode, new_envelope, to_wire
from sluice_messaging.errors import EnvelopeError, MessagingError
from sluice_messaging.events import EVENT_TYPE, InboundEvent, parse_event_message

__all__ = [
    "EVENT_TYPE",
    "DeadLetter",
    "DeadLetterPublisher",
    "DeadLetterSink",
    "Envelope",
    "EnvelopeError",
    "InboundEvent",
    "MessagingError",
    "decode",
    "encode",
    "new_envelope",
    "parse_event_message",
    "to_wire",
]
