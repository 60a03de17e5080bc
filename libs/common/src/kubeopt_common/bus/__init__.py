"""NATS JetStream plumbing: streams, the consumer discipline, publishing, the embedded server."""

from kubeopt_common.bus.broker import Bus, make_broker
from kubeopt_common.bus.consume import ConsumerPolicy, Delivery, PermanentError
from kubeopt_common.bus.publish import EventPublisher
from kubeopt_common.bus.server import EmbeddedNatsServer
from kubeopt_common.bus.streams import STREAMS, ensure_streams, stream_for

__all__ = [
    "STREAMS",
    "Bus",
    "ConsumerPolicy",
    "Delivery",
    "EmbeddedNatsServer",
    "EventPublisher",
    "PermanentError",
    "ensure_streams",
    "make_broker",
    "stream_for",
]
