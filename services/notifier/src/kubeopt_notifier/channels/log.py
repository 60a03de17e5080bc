"""The ``log`` channel: each notification of a message becomes one ``notify.delivered`` line.

Useful on its own (ship the service's JSON logs to any log pipeline) and as the always-present
default channel of the all-in-one mode.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, JsonValue

from kubeopt_common.telemetry.logging import get_logger
from kubeopt_notifier.channels.params import parse_params
from kubeopt_notifier.domain import DeliveryResult, Message

log = get_logger("kubeopt_notifier.channels.log")

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


class LogParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Literal["debug", "info", "warning"] = "info"


class LogChannel:
    """Writes the notification's fields as one structured log line."""

    type: ClassVar[str] = "log"

    rate_limit: tuple[float, int] | None = None

    def __init__(self, *, name: str, level: Literal["debug", "info", "warning"] = "info") -> None:
        self.name = name
        self._level = LEVELS[level]

    @classmethod
    def from_params(cls, *, name: str, params: Mapping[str, JsonValue]) -> LogChannel:
        parsed = parse_params(LogParams, name=name, channel_type=cls.type, params=params)
        return cls(name=name, level=parsed.level)

    async def send(self, message: Message) -> DeliveryResult:
        for notification in message.notifications:
            log.log(
                self._level,
                "notify.delivered",
                channel=self.name,
                message_id=str(message.message_id),
                kind=notification.kind,
                title=notification.title,
                text=notification.text,
                severity=notification.severity.value,
                cluster=notification.cluster,
                labels=notification.labels,
                source_event_id=str(notification.source_event_id),
                source_subject=notification.source_subject,
                occurred_at=notification.occurred_at.isoformat(),
            )
        return DeliveryResult.delivered()

    async def check(self) -> None:
        return None

    async def close(self) -> None:
        return None
