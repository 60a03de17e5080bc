"""HTTP client of the KubeOpt AI APIs, for the CLI: base URL + bearer token + problem errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from kubeopt_cli.settings import CliSettings
from kubeopt_cli.state import DataDir


class ApiError(RuntimeError):
    """The API answered with a problem document (or could not be reached)."""


def resolve(settings: CliSettings, service: str) -> tuple[str, str]:
    """(base URL, token) from flags/env, else from the running all-in-one's data directory."""
    data = DataDir(settings.data_dir)
    endpoints = data.read_endpoints() or {}
    services = endpoints.get("services")
    url = settings.costing_url if service == "costing" else None
    if url is None and isinstance(services, dict):
        url = services.get(service)
    if url is None:
        msg = (
            f"no {service} API known: start `kubeopt up` (data dir {data.root}) or set "
            f"KUBEOPT_{service.upper()}_URL"
        )
        raise ApiError(msg)
    token = settings.token.get_secret_value() if settings.token else None
    if token is None and data.token_file.exists():
        token = data.token_file.read_text().strip()
    if not token:
        raise ApiError("no API token: set KUBEOPT_TOKEN or run next to `kubeopt up`'s data dir")
    return url, token


def get_json(url: str, token: str, path: str, params: Sequence[tuple[str, str]]) -> Any:
    try:
        response = httpx.get(
            f"{url}{path}",
            params=tuple(params),
            headers={"Authorization": f"Bearer {token}"},
            timeout=60.0,
        )
    except httpx.TransportError as err:
        raise ApiError(f"cannot reach {url}: {err}") from err
    if response.status_code >= 400:
        try:
            problem = response.json()
            detail = problem.get("detail") or problem.get("title")
        except ValueError:
            detail = response.text[:200]
        raise ApiError(f"{response.status_code}: {detail}")
    return response.json()
