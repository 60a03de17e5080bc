"""The ``webhook`` channel: a JSON POST signed per the Standard Webhooks spec.

Headers ``webhook-id`` (the message id: the same on every retry, the receiver's idempotency
key), ``webhook-timestamp`` (unix seconds of this attempt) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of id.timestamp.body>``) keyed by the channel's ``whsec_`` secret.
The URL and the secret are never logged nor returned by the API.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue

from kubeopt_notifier.channels.http import HttpPoster, HttpUrl
from kubeopt_notifier.channels.params import parse_params
from kubeopt_notifier.domain import DeliveryResult, Message
from kubeopt_notifier.domain.render import webhook_payload
from kubeopt_notifier.domain.signing import SecretError, new_secret, secret_key, signature_headers

SECRET_BYTES = 32


def _valid_secret(value: str) -> str:
    try:
        secret_key(value)
    except SecretError as err:
        raise ValueError(str(err)) from None
    return value


class WebhookParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: HttpUrl = Field(description="Where to POST")
    secret: Annotated[str, AfterValidator(_valid_secret)] = Field(
        description="whsec_<base64 of 24–64 bytes>; generated when a channel is created without"
    )
    rate_per_s: float | None = Field(default=None, gt=0, le=10_000)
    burst: int = Field(default=10, ge=1, le=10_000)
    timeout_s: float = Field(default=15.0, gt=0, le=120)


class WebhookChannel:
    type: ClassVar[str] = "webhook"

    def __init__(self, *, name: str, params: WebhookParams) -> None:
        self.name = name
        self.rate_limit = (params.rate_per_s, params.burst) if params.rate_per_s else None
        self._key = secret_key(params.secret)
        self._poster = HttpPoster(params.url, timeout_s=params.timeout_s)

    @classmethod
    def from_params(cls, *, name: str, params: Mapping[str, JsonValue]) -> WebhookChannel:
        return cls(
            name=name,
            params=parse_params(WebhookParams, name=name, channel_type=cls.type, params=params),
        )

    @staticmethod
    def generated_params() -> dict[str, str]:
        """Params the notifier fills in when a channel is created without them (the secret is
        shown once, in the creation answer)."""
        return {"secret": new_secret(secrets.token_bytes(SECRET_BYTES))}

    async def send(self, message: Message) -> DeliveryResult:
        body = json.dumps(webhook_payload(message), ensure_ascii=False).encode()
        headers = signature_headers(
            self._key, msg_id=str(message.message_id), timestamp_s=int(time.time()), body=body
        )
        return await self._poster.post(body, headers)

    async def check(self) -> None:
        await self._poster.check()

    async def close(self) -> None:
        await self._poster.close()
