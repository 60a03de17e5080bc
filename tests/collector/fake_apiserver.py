"""A Kubernetes API server double for the real ``kubernetes`` client: lists with
``limit``/``continue``, watches with ``resourceVersion``, bookmarks, 410 Gone and dropped
connections, and ``metrics.k8s.io``. Plain ``http.server`` in a thread, on 127.0.0.1.

Objects are stored per resource (``pods``, ``deployments``, …) with a global resource version
counter, like etcd. A watch streams the recorded events after the version it asks for, then
waits for new ones until its ``timeoutSeconds``; a version older than :meth:`compact` answers
the 410 ``ERROR`` event a real server sends. A resource may instead be *generated*: ``count``
objects made on demand by a function of their index (the 150,000-pod benchmark serves those
without holding them).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

Obj = dict[str, Any]

RESOURCES: dict[str, tuple[str, str]] = {
    # resource -> (path prefix, list kind)
    "namespaces": ("/api/v1", "NamespaceList"),
    "nodes": ("/api/v1", "NodeList"),
    "pods": ("/api/v1", "PodList"),
    "persistentvolumeclaims": ("/api/v1", "PersistentVolumeClaimList"),
    "services": ("/api/v1", "ServiceList"),
    "deployments": ("/apis/apps/v1", "DeploymentList"),
    "replicasets": ("/apis/apps/v1", "ReplicaSetList"),
    "statefulsets": ("/apis/apps/v1", "StatefulSetList"),
    "daemonsets": ("/apis/apps/v1", "DaemonSetList"),
    "jobs": ("/apis/batch/v1", "JobList"),
    "cronjobs": ("/apis/batch/v1", "CronJobList"),
    "horizontalpodautoscalers": ("/apis/autoscaling/v2", "HorizontalPodAutoscalerList"),
    "poddisruptionbudgets": ("/apis/policy/v1", "PodDisruptionBudgetList"),
}
METRICS_PREFIX = "/apis/metrics.k8s.io/v1beta1/"
_PATHS = {f"{prefix}/{name}": name for name, (prefix, _) in RESOURCES.items()}


@dataclass
class _Generated:
    count: int
    make: Callable[[int], Obj]


@dataclass
class FakeState:
    objects: dict[str, dict[tuple[str, str], Obj]] = field(
        default_factory=lambda: {r: {} for r in RESOURCES}
    )
    events: list[tuple[int, str, str, Obj]] = field(default_factory=list)
    generated: dict[str, _Generated] = field(default_factory=dict)
    version: int = 100
    compacted: int = 0
    drop_watches: dict[str, int] = field(default_factory=dict)
    ended: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[int]] = field(default_factory=dict)
    metrics: dict[str, list[Obj]] = field(default_factory=lambda: {"pods": [], "nodes": []})
    requests: list[str] = field(default_factory=list)
    token: str | None = None


class FakeApiServer:
    """Start with :meth:`start`, point the client at :attr:`url`, script it, :meth:`stop`."""

    def __init__(self, *, token: str | None = None) -> None:
        self.state = FakeState(token=token)
        self.lock = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    # ----------------------------------------------------------------- scripting

    def add(self, resource: str, obj: Obj, event: str = "ADDED", *, quiet: bool = False) -> None:
        """Store ``obj`` and record the event (``quiet``: no event, as if compacted away)."""
        with self.lock:
            self.state.version += 1
            stored = copy.deepcopy(obj)
            stored["metadata"]["resourceVersion"] = str(self.state.version)
            meta = stored["metadata"]
            self.state.objects[resource][(meta.get("namespace", ""), meta["name"])] = stored
            if not quiet:
                self.state.events.append((self.state.version, resource, event, stored))
            self.lock.notify_all()

    def modify(self, resource: str, obj: Obj) -> None:
        self.add(resource, obj, "MODIFIED")

    def delete(self, resource: str, namespace: str, name: str, *, quiet: bool = False) -> None:
        with self.lock:
            stored = self.state.objects[resource].pop((namespace, name))
            self.state.version += 1
            stored["metadata"]["resourceVersion"] = str(self.state.version)
            if not quiet:
                self.state.events.append((self.state.version, resource, "DELETED", stored))
            self.lock.notify_all()

    def raw_event(self, resource: str, line: Obj) -> None:
        """Append an arbitrary event (e.g. a malformed object) to the stream."""
        with self.lock:
            self.state.version += 1
            self.state.events.append((self.state.version, resource, "RAW", line))
            self.lock.notify_all()

    def bookmark(self, resource: str) -> None:
        kind = RESOURCES[resource][1].removesuffix("List")
        with self.lock:
            self.state.version += 1
            obj = {"kind": kind, "metadata": {"resourceVersion": str(self.state.version)}}
            self.state.events.append((self.state.version, resource, "BOOKMARK", obj))
            self.lock.notify_all()

    def compact(self) -> None:
        """Forget history: a watch from an older version now gets 410 Gone."""
        with self.lock:
            self.state.compacted = self.state.version
            self.lock.notify_all()

    def end_watches(self, resource: str) -> None:
        """Running watches of ``resource`` end normally (as at their timeout)."""
        with self.lock:
            self.state.ended[resource] = self.state.ended.get(resource, 0) + 1
            self.lock.notify_all()

    def drop_next_watch(self, resource: str) -> None:
        """The running (or next) watch of ``resource`` sends what it has, then the connection
        drops in the middle of a chunk."""
        with self.lock:
            self.state.drop_watches[resource] = self.state.drop_watches.get(resource, 0) + 1
            self.lock.notify_all()

    def fail_next(self, resource: str, status: int, times: int = 1) -> None:
        with self.lock:
            self.state.failures.setdefault(resource, []).extend([status] * times)

    def generate(self, resource: str, count: int, make: Callable[[int], Obj]) -> None:
        with self.lock:
            self.state.generated[resource] = _Generated(count, make)

    def set_metrics(self, resource: str, items: list[Obj]) -> None:
        with self.lock:
            self.state.metrics[resource] = copy.deepcopy(items)

    def watch_requests(self, resource: str) -> list[str]:
        path = f"{RESOURCES[resource][0]}/{resource}?"
        with self.lock:
            return [r for r in self.state.requests if r.startswith(path) and "watch=true" in r]

    def list_requests(self, resource: str) -> list[str]:
        path = f"{RESOURCES[resource][0]}/{resource}"
        with self.lock:
            return [
                r for r in self.state.requests if r.split("?")[0] == path and "watch=true" not in r
            ]

    # ----------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FakeApiServer:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            with self.lock:
                self.state.compacted = -1  # wakes watches; they end
                self.lock.notify_all()
            self._server.shutdown()
            self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_fake: FakeApiServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        fake = self.server_fake
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with fake.lock:
            fake.state.requests.append(self.path)
            token = fake.state.token
        if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
            self._json(401, _status(401, "Unauthorized", "bad token"))
            return
        if parts.path.startswith(METRICS_PREFIX):
            self._metrics(parts.path.removeprefix(METRICS_PREFIX))
            return
        resource = _PATHS.get(parts.path)
        if resource is None:
            self._json(404, _status(404, "NotFound", f"{parts.path} not found"))
            return
        with fake.lock:
            failures = fake.state.failures.get(resource)
            status = failures.pop(0) if failures else None
        if status is not None:
            self._json(status, _status(status, "InternalError", "scripted failure"))
        elif query.get("watch") == "true":
            self._watch(resource, query)
        else:
            self._list(resource, query)

    def _json(self, status: int, body: Obj) -> None:
        data = orjson.dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _metrics(self, resource: str) -> None:
        with self.server_fake.lock:
            items = list(self.server_fake.state.metrics.get(resource, []))
        kind = "PodMetricsList" if resource == "pods" else "NodeMetricsList"
        self._json(200, {"kind": kind, "apiVersion": "metrics.k8s.io/v1beta1", "items": items})

    def _list(self, resource: str, query: dict[str, str]) -> None:
        fake = self.server_fake
        limit = int(query.get("limit", "0")) or 10**9
        start = int(query.get("continue", "0") or "0")
        with fake.lock:
            version = fake.state.version
            generated = fake.state.generated.get(resource)
            if generated is None:
                stored = sorted(fake.state.objects[resource].items())
                total = len(stored)
                items = [obj for _, obj in stored[start : start + limit]]
        if generated is not None:
            total = generated.count
            items = [generated.make(i) for i in range(start, min(total, start + limit))]
        following = start + limit
        meta: Obj = {"resourceVersion": str(version)}
        if following < total:
            meta["continue"] = str(following)
            meta["remainingItemCount"] = total - following
        prefix, kind = RESOURCES[resource]
        api_version = prefix.removeprefix("/api/").removeprefix("/apis/")
        self._json(200, {"kind": kind, "apiVersion": api_version, "metadata": meta, "items": items})

    def _watch(self, resource: str, query: dict[str, str]) -> None:
        fake = self.server_fake
        since = int(query.get("resourceVersion", "0") or "0")
        timeout_s = float(query.get("timeoutSeconds", "5"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with fake.lock:
            if since < fake.state.compacted:
                gone = _status(410, "Expired", "too old resource version")
                self._chunk({"type": "ERROR", "object": gone})
                self._end()
                return
            generation = fake.state.ended.get(resource, 0)
        if self._stream(resource, since, timeout_s, generation):
            self.wfile.write(b'40\r\n{"type":"MODIFIED","object":{"kind"')  # cut mid-chunk
            self.wfile.flush()
            self.close_connection = True
            return
        self._end()

    def _stream(self, resource: str, since: int, timeout_s: float, generation: int) -> bool:
        """Send events after ``since`` until the timeout or an end; True when told to drop."""
        fake = self.server_fake
        sent = since
        deadline = threading.Event()
        timer = threading.Timer(timeout_s, deadline.set)
        timer.start()
        try:
            while not deadline.is_set():
                with fake.lock:
                    pending = [e for e in fake.state.events if e[0] > sent and e[1] == resource]
                    if not pending:
                        if fake.state.drop_watches.get(resource, 0) > 0:
                            fake.state.drop_watches[resource] -= 1
                            return True
                        if fake.state.ended.get(resource, 0) != generation:
                            return False
                        if fake.state.compacted < 0:
                            return False
                        fake.lock.wait(0.05)
                        continue
                for version, _, event, obj in pending:
                    self._chunk(obj if event == "RAW" else {"type": event, "object": obj})
                    sent = version
        finally:
            timer.cancel()
        return False

    def _chunk(self, event: Obj) -> None:
        data = orjson.dumps(event) + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _status(code: int, reason: str, message: str) -> Obj:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
