"""Request and response models of the notifier API (they are its OpenAPI documentation)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Self

from pydantic import AwareDatetime, BaseModel, Field, JsonValue, model_validator

from kubeopt_notifier.domain import DeliveryResult, DeliveryStatus, ResultStatus
from kubeopt_notifier.models import ChannelRecord, DeliveryRecord, SilenceRecord
from kubeopt_notifier.settings import CHANNEL_NAME_PATTERN


class ChannelOut(BaseModel):
    """A channel. Param values may be secrets (webhook URLs, keys): only names are shown."""

    name: str = Field(description="Channel name, unique in this notifier")
    type: str = Field(description="Channel type (a `kubeopt.channels` plugin)")
    enabled: bool = Field(description="Disabled channels are never sent to")
    disabled_reason: str = Field(description="Why the notifier disabled it (e.g. HTTP 410)")
    source: str = Field(description="`settings` (KUBEOPT_CHANNELS, read-only here) or `api`")
    param_names: list[str] = Field(description="Names of the configured params, sorted")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, record: ChannelRecord) -> ChannelOut:
        return cls(
            name=record.name,
            type=record.type,
            enabled=record.enabled,
            disabled_reason=record.disabled_reason,
            source=record.source,
            param_names=sorted(record.params),
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class ChannelCreatedOut(ChannelOut):
    generated: dict[str, str] = Field(
        default_factory=dict,
        description="Params the notifier generated (e.g. a webhook's `whsec_` secret). Shown "
        "ONCE: store it now, it is never returned again.",
    )


class ChannelsOut(BaseModel):
    channels: list[ChannelOut] = Field(description="Every channel, by name")
    installed_types: list[str] = Field(
        description="Channel types installed through the `kubeopt.channels` entry points"
    )

    @classmethod
    def build(cls, records: Sequence[ChannelRecord], installed_types: Sequence[str]) -> ChannelsOut:
        return cls(
            channels=[ChannelOut.from_record(r) for r in records],
            installed_types=sorted(installed_types),
        )


class ChannelBody(BaseModel):
    """A channel definition. ``slack``: ``{"url": …}``; ``webhook``: ``{"url": …, "secret":
    "whsec_…"}`` (a secret is generated when left out); ``log``: ``{"level": "info"}``."""

    type: str = Field(min_length=1, max_length=63, examples=["webhook"])
    params: dict[str, JsonValue] = Field(default_factory=dict)
    enabled: bool = True


class ChannelIn(ChannelBody):
    name: str = Field(pattern=CHANNEL_NAME_PATTERN, examples=["ops-webhook"])


class SendResultOut(BaseModel):
    """The answer of one test send (no retry)."""

    status: ResultStatus
    error: str
    retry_after_s: float | None

    @classmethod
    def from_result(cls, result: DeliveryResult) -> SendResultOut:
        return cls(status=result.status, error=result.error, retry_after_s=result.retry_after_s)


class DeliveryOut(BaseModel):
    """The log entry of one source event on one channel."""

    event_id: uuid.UUID = Field(description="Id of the event that was notified (dedupe key)")
    channel: str = Field(description="Channel name")
    channel_type: str = Field(description="Channel type")
    message_id: uuid.UUID | None = Field(
        description="The message that carries it (webhook-id); none when silenced/suppressed"
    )
    source_subject: str = Field(description="NATS subject the event arrived on")
    kind: str = Field(description="budget, anomaly or recommendation")
    cluster: str
    title: str
    severity: str = Field(description="info, warning or critical")
    status: DeliveryStatus = Field(description="Where the delivery stands")
    attempts: int = Field(description="Attempts made so far", ge=0)
    error: str = Field(description="Error of the latest attempt; empty when delivered")
    retry_after_s: float | None = Field(description="Wait the destination asked for, seconds")
    first_attempt_at: datetime = Field(description="When the event was queued for the channel")
    last_attempt_at: datetime
    delivered_at: datetime | None

    @classmethod
    def from_record(cls, record: DeliveryRecord) -> DeliveryOut:
        return cls(
            event_id=record.event_id,
            channel=record.channel,
            channel_type=record.channel_type,
            message_id=record.message_id,
            source_subject=record.source_subject,
            kind=record.kind,
            cluster=record.cluster,
            title=record.title,
            severity=record.severity,
            status=DeliveryStatus(record.status),
            attempts=record.attempts,
            error=record.error,
            retry_after_s=record.retry_after_s,
            first_attempt_at=record.first_attempt_at,
            last_attempt_at=record.last_attempt_at,
            delivered_at=record.delivered_at,
        )


class DeliveriesOut(BaseModel):
    deliveries: list[DeliveryOut] = Field(description="Newest attempt first")


class SilenceIn(BaseModel):
    """Mute notifications whose labels match ALL matchers, from ``starts_at`` to ``ends_at``."""

    matchers: list[str] = Field(
        min_length=1,
        description="Alertmanager matchers: name=value, name!=value, name=~regex, name!~regex",
        examples=[["kind=anomaly", "namespace=~batch-.*"]],
    )
    starts_at: AwareDatetime | None = Field(default=None, description="Default: now")
    ends_at: AwareDatetime = Field(description="When the silence expires (RFC 3339 with offset)")
    created_by: str = Field(default="", max_length=253)
    comment: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.starts_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class SilenceOut(BaseModel):
    id: str
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    active: bool = Field(description="In force now")
    created_by: str
    comment: str

    @classmethod
    def from_record(cls, record: SilenceRecord, *, now: datetime) -> SilenceOut:
        return cls(
            id=record.id,
            matchers=list(record.matchers),
            starts_at=record.starts_at,
            ends_at=record.ends_at,
            active=record.starts_at <= now < record.ends_at,
            created_by=record.created_by,
            comment=record.comment,
        )


class SilencesOut(BaseModel):
    silences: list[SilenceOut] = Field(description="Newest first")
