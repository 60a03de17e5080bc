"""The ``slack`` channel: a Slack incoming webhook, Block Kit messages, ~1 message/s.

Slack answers 200 ``ok``; 429 with ``Retry-After`` when posting faster than about one message
per second; 4xx bodies such as ``invalid_payload`` or ``no_service`` (a revoked URL) are not
retried. The webhook URL is a secret: it is never logged nor returned by the API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from kubeopt_notifier.channels.http import HttpPoster, HttpUrl
from kubeopt_notifier.channels.params import parse_params
from kubeopt_notifier.domain import DeliveryResult, Message
from kubeopt_notifier.domain.render import slack_payload


class SlackParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: HttpUrl = Field(description="The incoming webhook URL (a secret)")
    rate_per_s: float = Field(default=1.0, gt=0, le=100)
    burst: int = Field(default=3, ge=1, le=100)
    timeout_s: float = Field(default=15.0, gt=0, le=120)


class SlackChannel:
    type: ClassVar[str] = "slack"

    def __init__(self, *, name: str, params: SlackParams) -> None:
        self.name = name
        self.rate_limit: tuple[float, int] | None = (params.rate_per_s, params.burst)
        self._poster = HttpPoster(params.url, timeout_s=params.timeout_s)

    @classmethod
    def from_params(cls, *, name: str, params: Mapping[str, JsonValue]) -> SlackChannel:
        return cls(
            name=name,
            params=parse_params(SlackParams, name=name, channel_type=cls.type, params=params),
        )

    async def send(self, message: Message) -> DeliveryResult:
        body = json.dumps(slack_payload(message), ensure_ascii=False).encode()
        return await self._poster.post(body, {})

    async def check(self) -> None:
        await self._poster.check()

    async def close(self) -> None:
        await self._poster.close()
