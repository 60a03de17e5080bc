"""JetStream streams, declared in code: one stream per event domain."""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from kubeopt_common.events.subjects import PREFIX, Subject

HOUR_S = 3600.0
DAY_S = 24 * HOUR_S
GIB = 1024**3


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """Retention and limits of one stream. Times in seconds, sizes in bytes."""

    name: str
    subjects: tuple[str, ...]
    max_age_s: float
    max_bytes: int
    duplicate_window_s: float
    description: str

    def config(self, *, replicas: int = 1) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            description=self.description,
            subjects=list(self.subjects),
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            storage=StorageType.FILE,
            max_age=self.max_age_s,
            max_bytes=self.max_bytes,
            duplicate_window=self.duplicate_window_s,
            num_replicas=replicas,
        )


def _all(subject: Subject) -> str:
    return f"{subject.value}.>"


# Ingest streams keep a few days so a consumer that was down can catch up, and a 30-minute
# duplicate window so a collector retrying a publish is deduplicated by Nats-Msg-Id.
STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec(
        "KUBEOPT_INVENTORY",
        (_all(Subject.INVENTORY_SNAPSHOTTED),),
        max_age_s=3 * DAY_S,
        max_bytes=4 * GIB,
        duplicate_window_s=30 * 60,
        description="Cluster inventory snapshots and deltas",
    ),
    StreamSpec(
        "KUBEOPT_USAGE",
        (_all(Subject.USAGE_SAMPLED),),
        max_age_s=3 * DAY_S,
        max_bytes=16 * GIB,
        duplicate_window_s=30 * 60,
        description="Batched container usage per scrape window",
    ),
    StreamSpec(
        "KUBEOPT_FLOWS",
        (_all(Subject.FLOWS_OBSERVED),),
        max_age_s=3 * DAY_S,
        max_bytes=4 * GIB,
        duplicate_window_s=30 * 60,
        description="Batched network flows per window",
    ),
    StreamSpec(
        "KUBEOPT_SPEND",
        (_all(Subject.SPEND_UPDATED), _all(Subject.ANOMALY_DETECTED)),
        max_age_s=7 * DAY_S,
        max_bytes=4 * GIB,
        duplicate_window_s=30 * 60,
        description="Attributed spend per namespace window, and spend anomalies",
    ),
    StreamSpec(
        "KUBEOPT_RECOMMENDATIONS",
        (_all(Subject.RECOMMENDATION_CREATED), _all(Subject.RECOMMENDATION_UPDATED)),
        max_age_s=30 * DAY_S,
        max_bytes=1 * GIB,
        duplicate_window_s=30 * 60,
        description="Recommendation lifecycle events",
    ),
    StreamSpec(
        "KUBEOPT_BUDGETS",
        (_all(Subject.BUDGET_THRESHOLD_CROSSED),),
        max_age_s=30 * DAY_S,
        max_bytes=1 * GIB,
        duplicate_window_s=30 * 60,
        description="Budget threshold crossings",
    ),
    StreamSpec(
        "KUBEOPT_DEADLETTER",
        (f"{Subject.DEAD_LETTER.value}.>",),
        max_age_s=30 * DAY_S,
        max_bytes=2 * GIB,
        duplicate_window_s=30 * 60,
        description="Messages a service could not process, with the reason and the payload",
    ),
)


def stream_for(subject: Subject) -> StreamSpec:
    """The stream that stores ``subject``."""
    for spec in STREAMS:
        if any(s.removesuffix(".>") == subject.value for s in spec.subjects):
            return spec
    msg = f"no stream stores {subject.value}"
    raise LookupError(msg)


async def ensure_streams(js: JetStreamContext, *, replicas: int = 1) -> None:
    """Create every stream, or update its editable settings when it exists."""
    for spec in STREAMS:
        config = spec.config(replicas=replicas)
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)


__all__ = ["PREFIX", "STREAMS", "StreamSpec", "ensure_streams", "stream_for"]
