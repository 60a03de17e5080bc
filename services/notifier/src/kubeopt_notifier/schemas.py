"""Response models of the notifier API (they are its OpenAPI documentation)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from kubeopt_notifier.channels.registry import ConfiguredChannel
from kubeopt_notifier.domain import DeliveryStatus
from kubeopt_notifier.models import DeliveryRecord


class ChannelOut(BaseModel):
    """A configured channel. Param values may be secrets, so only their names are shown."""

    name: str = Field(description="Channel name, unique in this notifier")
    type: str = Field(description="Channel type (a `kubeopt.channels` plugin)")
    enabled: bool = Field(description="Disabled channels are never sent to")
    param_names: list[str] = Field(description="Names of the configured params, sorted")


class ChannelsOut(BaseModel):
    channels: list[ChannelOut] = Field(description="Configured channels, in settings order")
    installed_types: list[str] = Field(
        description="Channel types installed through the `kubeopt.channels` entry points"
    )

    @classmethod
    def build(
        cls, channels: Sequence[ConfiguredChannel], installed_types: Sequence[str]
    ) -> ChannelsOut:
        return cls(
            channels=[
                ChannelOut(
                    name=c.settings.name,
                    type=c.settings.type,
                    enabled=c.settings.enabled,
                    param_names=sorted(c.settings.params),
                )
                for c in channels
            ],
            installed_types=sorted(installed_types),
        )


class DeliveryOut(BaseModel):
    """The log entry of one source event on one channel."""

    event_id: uuid.UUID = Field(description="Id of the event that was notified (dedupe key)")
    channel: str = Field(description="Channel name")
    channel_type: str = Field(description="Channel type")
    source_subject: str = Field(description="NATS subject the event arrived on")
    kind: str = Field(description="budget, anomaly or recommendation")
    cluster: str
    title: str
    severity: str = Field(description="info, warning or critical")
    status: DeliveryStatus = Field(description="Outcome of the latest attempt")
    attempts: int = Field(description="Attempts made so far", ge=1)
    error: str = Field(description="Error of the latest attempt; empty when delivered")
    retry_after_s: float | None = Field(description="Wait the destination asked for, seconds")
    first_attempt_at: datetime
    last_attempt_at: datetime
    delivered_at: datetime | None

    @classmethod
    def from_record(cls, record: DeliveryRecord) -> DeliveryOut:
        return cls(
            event_id=record.event_id,
            channel=record.channel,
            channel_type=record.channel_type,
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
