"""Standard Webhooks signatures (symmetric, ``v1``): HMAC-SHA256 over ``id.timestamp.body``.

Secrets are shown as ``whsec_<base64>``; the key is the decoded bytes (24–64 random bytes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
MIN_KEY_BYTES = 24
MAX_KEY_BYTES = 64


class SecretError(ValueError):
    """A signing secret that is not ``whsec_`` + base64 of 24–64 bytes."""


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise SecretError(f"a signing secret starts with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as err:
        raise SecretError("the signing secret after whsec_ is not valid base64") from err
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        msg = f"the signing key must be {MIN_KEY_BYTES}–{MAX_KEY_BYTES} bytes, not {len(key)}"
        raise SecretError(msg)
    return key


def new_secret(random_bytes: bytes) -> str:
    """A ``whsec_`` secret from the caller's random bytes (32 recommended)."""
    if not MIN_KEY_BYTES <= len(random_bytes) <= MAX_KEY_BYTES:
        raise SecretError(f"a signing key is {MIN_KEY_BYTES}–{MAX_KEY_BYTES} bytes")
    return SECRET_PREFIX + base64.b64encode(random_bytes).decode()


def sign(key: bytes, *, msg_id: str, timestamp_s: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,<base64 HMAC-SHA256>``."""
    signed = msg_id.encode() + b"." + str(timestamp_s).encode() + b"." + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(key: bytes, *, msg_id: str, timestamp_s: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp_s),
        "webhook-signature": sign(key, msg_id=msg_id, timestamp_s=timestamp_s, body=body),
    }
