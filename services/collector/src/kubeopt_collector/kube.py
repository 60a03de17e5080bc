"""The one module that talks to the official ``kubernetes`` client (it ships no types, so
``Any`` appears here and nowhere else).

Everything here is synchronous (the client uses urllib3); callers run it in worker threads.
Objects are read as raw JSON (``_preload_content=False`` + orjson) instead of the client's
typed models: decoding is an order of magnitude faster on 150,000 pods, and one malformed
object becomes one skipped object (the caller parses each) instead of a failed list. Watches
are read line by line with the client's own ``iter_resp_lines``; ``ERROR`` events with code
410 become :class:`GoneError` so the caller relists.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.watch import watch as k8s_watch

from kubeopt_collector.domain.kube_objects import ResourceKind

ConnectionMode = Literal["in_cluster", "kubeconfig", "token"]
WatchCallback = Callable[[str, dict[str, Any]], None]

_LISTERS: dict[ResourceKind, tuple[str, str]] = {
    ResourceKind.NAMESPACE: ("CoreV1Api", "list_namespace"),
    ResourceKind.NODE: ("CoreV1Api", "list_node"),
    ResourceKind.POD: ("CoreV1Api", "list_pod_for_all_namespaces"),
    ResourceKind.PVC: ("CoreV1Api", "list_persistent_volume_claim_for_all_namespaces"),
    ResourceKind.DEPLOYMENT: ("AppsV1Api", "list_deployment_for_all_namespaces"),
    ResourceKind.REPLICASET: ("AppsV1Api", "list_replica_set_for_all_namespaces"),
    ResourceKind.STATEFULSET: ("AppsV1Api", "list_stateful_set_for_all_namespaces"),
    ResourceKind.DAEMONSET: ("AppsV1Api", "list_daemon_set_for_all_namespaces"),
    ResourceKind.JOB: ("BatchV1Api", "list_job_for_all_namespaces"),
    ResourceKind.CRONJOB: ("BatchV1Api", "list_cron_job_for_all_namespaces"),
    ResourceKind.HPA: ("AutoscalingV2Api", "list_horizontal_pod_autoscaler_for_all_namespaces"),
    ResourceKind.PDB: ("PolicyV1Api", "list_pod_disruption_budget_for_all_namespaces"),
    ResourceKind.SERVICE: ("CoreV1Api", "list_service_for_all_namespaces"),
}
_CONNECT_TIMEOUT_S = 10.0
# The client's functions are untyped; they are used through these Any-typed names only.
_load_incluster_config: Any = k8s_config.load_incluster_config
_load_kube_config: Any = k8s_config.load_kube_config
_iter_resp_lines: Any = k8s_watch.iter_resp_lines


class KubeApiError(RuntimeError):
    """The API server answered with an error, or could not be reached (``status`` None)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GoneError(KubeApiError):
    """410 Gone: the resource version (or continue token) is too old; relist."""


@dataclass(frozen=True)
class KubeConnection:
    """How to reach one cluster's API server. ``token`` is the resolved secret value."""

    mode: ConnectionMode = "in_cluster"
    kubeconfig: str | None = None
    context: str | None = None
    host: str | None = None
    token: str | None = None
    ca_file: str | None = None
    verify_tls: bool = True


class WatchHandle:
    """Lets another thread end a running watch at once (``abort`` shuts its socket down)."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self._response: Any = None

    def attach(self, response: Any) -> None:
        self._response = response
        if self.stopped.is_set():
            self.abort()

    def abort(self) -> None:
        self.stopped.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):  # the connection may already be gone
                response.shutdown()


@dataclass(frozen=True)
class ListPage:
    items: list[dict[str, Any]]
    resource_version: str
    continue_token: str | None


def _configuration(connection: KubeConnection) -> Any:
    cfg = k8s.Configuration()
    if connection.mode == "in_cluster":
        _load_incluster_config(client_configuration=cfg)
    elif connection.mode == "kubeconfig":
        _load_kube_config(
            config_file=connection.kubeconfig,
            context=connection.context,
            client_configuration=cfg,
        )
    else:
        if not connection.host:
            raise KubeApiError("token mode needs a host (the API server URL)")
        cfg.host = connection.host
        if connection.token:
            cfg.api_key = {"BearerToken": connection.token}
            cfg.api_key_prefix = {"BearerToken": "Bearer"}
        cfg.ssl_ca_cert = connection.ca_file
        cfg.verify_ssl = connection.verify_tls
    # One connection per concurrent watch, plus lists and metrics.
    cfg.connection_pool_maxsize = 32
    return cfg


def _check_status(response: Any, what: str) -> None:
    """Raise for a non-2xx answer (unpreloaded responses are not checked by the client)."""
    status = int(response.status)
    if 200 <= status < 300:
        return
    try:
        body = orjson.loads(response.data)
        reason = f"{body.get('reason', '')}: {body.get('message', '')}"
    except (orjson.JSONDecodeError, AttributeError):
        reason = str(response.reason or "")
    finally:
        response.release_conn()
    message = f"{what}: HTTP {status} {reason}".strip()
    if status == 410:
        raise GoneError(message, status=status)
    raise KubeApiError(message, status=status)


def _error(err: Exception, what: str) -> KubeApiError:
    if isinstance(err, k8s.ApiException):
        status = int(err.status) if err.status else None
        detail = f"{what}: HTTP {status} {err.reason or ''}".strip()
        if status == 410:
            return GoneError(detail, status=status)
        return KubeApiError(detail, status=status)
    return KubeApiError(f"{what}: {type(err).__name__}: {err}")


class KubeClient:
    """Lists, watches and reads metrics of one cluster through the official client."""

    def __init__(self, connection: KubeConnection) -> None:
        try:
            self._api: Any = k8s.ApiClient(_configuration(connection))
        except KubeApiError:
            raise
        except Exception as err:  # the config loaders raise many kinds of errors
            raise KubeApiError(f"cannot configure the Kubernetes client: {err}") from err
        self._apis: dict[str, Any] = {}
        self.host = str(self._api.configuration.host)

    def _lister(self, kind: ResourceKind) -> Any:
        api_name, method = _LISTERS[kind]
        api = self._apis.get(api_name)
        if api is None:
            api = self._apis[api_name] = getattr(k8s, api_name)(self._api)
        return getattr(api, method)

    def list_page(
        self, kind: ResourceKind, *, limit: int, continue_token: str | None = None
    ) -> ListPage:
        """One page of ``kind`` (``limit`` objects at most) as raw JSON objects."""
        what = f"list {kind.value}"
        try:
            response = self._lister(kind)(
                limit=limit,
                _continue=continue_token,
                _preload_content=False,
                _request_timeout=(_CONNECT_TIMEOUT_S, 300.0),
            )
            _check_status(response, what)
            body = orjson.loads(response.data)
        except (k8s.ApiException, urllib3.exceptions.HTTPError, OSError) as err:
            raise _error(err, what) from err
        except orjson.JSONDecodeError as err:
            raise KubeApiError(f"{what}: the answer is not JSON ({err})") from err
        meta = body.get("metadata") or {}
        items = body.get("items") or []
        return ListPage(
            items=[i for i in items if isinstance(i, dict)],
            resource_version=str(meta.get("resourceVersion") or ""),
            continue_token=meta.get("continue") or None,
        )

    def watch(
        self,
        kind: ResourceKind,
        *,
        resource_version: str,
        timeout_s: int,
        on_event: WatchCallback,
        handle: WatchHandle,
    ) -> str:
        """Stream events of ``kind`` after ``resource_version`` until the server ends the
        watch (``timeout_s``), the connection drops or ``handle`` is aborted.

        ``on_event(type, object)`` gets ADDED/MODIFIED/DELETED/BOOKMARK with the raw object;
        a line that is not JSON is passed as type ``"INVALID"`` with ``{"line": …}``. Returns
        the last resource version seen. Raises :class:`GoneError` on 410, and
        :class:`KubeApiError` on any other error (including a dropped connection).
        """
        what = f"watch {kind.value}"
        last = resource_version
        try:
            response = self._lister(kind)(
                watch=True,
                resource_version=resource_version,
                allow_watch_bookmarks=True,
                timeout_seconds=timeout_s,
                _preload_content=False,
                _request_timeout=(_CONNECT_TIMEOUT_S, timeout_s + 30.0),
            )
            _check_status(response, what)
        except (k8s.ApiException, urllib3.exceptions.HTTPError, OSError) as err:
            raise _error(err, what) from err
        handle.attach(response)
        try:
            for line in _iter_resp_lines(response):
                if handle.stopped.is_set():
                    break
                if not line:
                    continue
                last = self._dispatch(line, last, on_event, what)
        except (urllib3.exceptions.HTTPError, OSError) as err:
            if handle.stopped.is_set():
                return last
            raise _error(err, what) from err
        finally:
            response.release_conn()
        return last

    @staticmethod
    def _dispatch(line: str, last: str, on_event: WatchCallback, what: str) -> str:
        try:
            event = orjson.loads(line)
            kind, obj = str(event["type"]), event["object"]
            if not isinstance(obj, dict):
                raise TypeError("object is not a JSON object")
        except (orjson.JSONDecodeError, KeyError, TypeError):
            on_event("INVALID", {"line": line[:200]})
            return last
        if kind == "ERROR":
            code = obj.get("code")
            message = f"{what}: {obj.get('reason', '')} {obj.get('message', '')}".strip()
            if code == 410:
                raise GoneError(message, status=410)
            raise KubeApiError(message, status=code if isinstance(code, int) else None)
        on_event(kind, obj)
        version = (obj.get("metadata") or {}).get("resourceVersion")
        return str(version) if version else last

    def metrics(self, resource: Literal["pods", "nodes"]) -> list[dict[str, Any]]:
        """Every item of ``metrics.k8s.io/v1beta1`` ``resource`` (PodMetrics/NodeMetrics)."""
        what = f"metrics.k8s.io {resource}"
        try:
            api: Any = k8s.CustomObjectsApi(self._api)
            response = api.list_cluster_custom_object(
                "metrics.k8s.io",
                "v1beta1",
                resource,
                _preload_content=False,
                _request_timeout=(_CONNECT_TIMEOUT_S, 120.0),
            )
            _check_status(response, what)
            body = orjson.loads(response.data)
        except (k8s.ApiException, urllib3.exceptions.HTTPError, OSError) as err:
            raise _error(err, what) from err
        except orjson.JSONDecodeError as err:
            raise KubeApiError(f"{what}: the answer is not JSON ({err})") from err
        return [i for i in body.get("items") or [] if isinstance(i, dict)]

    def close(self) -> None:
        self._api.close()
