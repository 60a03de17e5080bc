"""Bearer-token authentication for every ``/v1`` route."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kubeopt_common.web.problems import ProblemError

_bearer = HTTPBearer(auto_error=False, description="The API token (printed by `kubeopt up`).")


def require_token(token: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency that accepts only ``Authorization: Bearer <token>`` (constant-time compare)."""
    expected = token.encode()

    async def dependency(request: Request) -> None:
        credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
        if credentials is None:
            raise _unauthorized("missing bearer token")
        if not secrets.compare_digest(credentials.credentials.encode(), expected):
            raise _unauthorized("invalid bearer token")

    return dependency


def _unauthorized(detail: str) -> ProblemError:
    # RFC 9110 §15.5.2: a 401 must say which scheme to use.
    return ProblemError(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})
