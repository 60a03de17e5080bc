"""The envelope every KubeOpt AI event carries, and the shared value types of the contracts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from kubeopt_common.events.subjects import CLUSTER_NAME_PATTERN, Subject, for_cluster

# Namespace for uuid5 event ids derived from natural keys, so a republished event keeps its id.
EVENT_ID_NAMESPACE = uuid.UUID("6c0f5f3e-4b8a-4a55-9a6e-0b1f5e3a9d10")


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_as_utc)]
"""An aware datetime, normalised to UTC. Naive datetimes are rejected."""

ClusterName = Annotated[str, StringConstraints(pattern=CLUSTER_NAME_PATTERN)]
NonNegativeInt = Annotated[int, Field(ge=0)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=253)]
Labels = dict[
    Annotated[str, StringConstraints(max_length=317)],
    Annotated[str, StringConstraints(max_length=63)],
]


def _key_text(part: object) -> str:
    # A datetime key part names an instant: the same instant in another time zone must give the
    # same id, and a naive datetime names no instant at all.
    if isinstance(part, datetime):
        if part.utcoffset() is None:
            msg = f"naive datetime {part.isoformat()} in an event id key; use an aware UTC datetime"
            raise ValueError(msg)
        return str(part.astimezone(UTC))
    return str(part)


def event_id_for(*key_parts: object) -> uuid.UUID:
    """Deterministic event id from a natural key: the same key always gives the same id.

    Datetime parts are compared as instants (normalised to UTC); naive datetimes are rejected.
    """
    return uuid.uuid5(EVENT_ID_NAMESPACE, "/".join(_key_text(p) for p in key_parts))


class Contract(BaseModel):
    """Base of every value type inside an event: frozen, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Contract):
    """Envelope fields shared by every event.

    ``event_id`` is the idempotency key: publishers use it as ``Nats-Msg-Id`` and consumers
    dedupe on it. Publishers that may retry derive it from a natural key (:func:`event_id_for`).
    """

    SUBJECT: ClassVar[Subject]
    SCHEMA_VERSION: ClassVar[int] = 1

    event_id: uuid.UUID
    occurred_at: UtcDatetime
    schema_version: int = Field(ge=1)
    cluster: ClusterName
    producer: Name

    @model_validator(mode="after")
    def _known_schema_version(self) -> Self:
        if self.schema_version != self.SCHEMA_VERSION:
            msg = (
                f"schema_version {self.schema_version} is not supported by this consumer of "
                f"{type(self).__name__} (expects {self.SCHEMA_VERSION})"
            )
            raise ValueError(msg)
        return self

    @classmethod
    def create(cls, *, event_id: uuid.UUID | None = None, **fields: Any) -> Self:
        """Build an event, filling the envelope: a random id unless given, now, this version."""
        fields.setdefault("occurred_at", datetime.now(UTC))
        return cls(
            event_id=event_id or uuid.uuid4(),
            schema_version=cls.SCHEMA_VERSION,
            **fields,
        )

    @property
    def subject(self) -> str:
        return for_cluster(self.SUBJECT, self.cluster)

    @property
    def msg_id(self) -> str:
        """``Nats-Msg-Id`` header value: JetStream drops a repeat inside the duplicate window."""
        return str(self.event_id)
