"""The dead-letter record: a message a service could not process, with the reason."""

from __future__ import annotations

import base64

from pydantic import Field

from kubeopt_common.events.envelope import Contract, NonNegativeInt, UtcDatetime


class DeadLetter(Contract):
    """Published on ``kubeopt.v1.deadletter.<service>.<domain>``.

    ``payload`` is the original body as text when it was valid UTF-8, else base64 with
    ``payload_encoding="base64"`` — so nothing of the original message is lost.
    """

    service: str
    reason: str
    original_subject: str
    payload: str
    payload_encoding: str = Field(default="utf-8", pattern=r"^(utf-8|base64)$")
    headers: dict[str, str] = Field(default_factory=dict)
    stream_sequence: NonNegativeInt = 0
    num_delivered: NonNegativeInt = 0
    failed_at: UtcDatetime

    def original_bytes(self) -> bytes:
        if self.payload_encoding == "base64":
            return base64.b64decode(self.payload)
        return self.payload.encode()


def encode_payload(data: bytes) -> tuple[str, str]:
    """(payload, encoding) for :class:`DeadLetter`."""
    try:
        return data.decode(), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), "base64"
