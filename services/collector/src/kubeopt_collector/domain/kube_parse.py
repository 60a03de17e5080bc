"""Kubernetes API objects (decoded JSON) turned into :mod:`kube_objects` records.

Quantities are parsed here, once, into integers (:mod:`kubeopt_collector.domain.quantities`).
An object that cannot be read raises :class:`ObjectError` naming the object
(``Pod shop/api-7d9f-x2``) and what is wrong; the caller logs it, counts it and skips that
object only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from math import ceil
from typing import Any

from kubeopt_collector.domain import node_labels
from kubeopt_collector.domain.kube_objects import (
    ContainerRecord,
    ControllerRecord,
    HpaRecord,
    NamespaceRecord,
    NodeRecord,
    ObjectError,
    OwnerRef,
    PdbRecord,
    PodRecord,
    PvcRecord,
    Raw,
    Record,
    ResourceKind,
    ServiceRecord,
    VolumeRecord,
    identity,
)
from kubeopt_collector.domain.labels import LabelInterner, LabelSelector
from kubeopt_collector.domain.quantities import parse_cpu_millicores, parse_memory_bytes

GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu")


def _map(value: Any, what: str) -> Raw:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} is not an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what} is not a list")
    return value


def _int(value: Any, what: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} {value!r} is not an integer")
    return value


def _str_map(value: Any, what: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in _map(value, what).items()}


def _owner(meta: Raw) -> OwnerRef | None:
    """The controlling owner (``controller: true``), else the first owner, else None."""
    refs = [_map(r, "ownerReferences[]") for r in _list(meta.get("ownerReferences"), "owners")]
    chosen = next((r for r in refs if r.get("controller") is True), refs[0] if refs else None)
    if chosen is None:
        return None
    return OwnerRef(kind=str(chosen["kind"]), name=str(chosen["name"]))


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no time zone")
    return parsed


class Parser:
    """Parses raw objects into records, interning labels and names to keep memory low."""

    def __init__(self, interner: LabelInterner | None = None) -> None:
        self.labels = interner or LabelInterner()
        self._parsers: dict[ResourceKind, Callable[[Raw, Raw], Record]] = {
            ResourceKind.NAMESPACE: self._namespace,
            ResourceKind.NODE: self._node,
            ResourceKind.POD: self._pod,
            ResourceKind.PVC: self._pvc,
            ResourceKind.HPA: self._hpa,
            ResourceKind.PDB: self._pdb,
            ResourceKind.SERVICE: self._service,
        }

    def parse(self, kind: ResourceKind, obj: Raw) -> Record:
        """The record of ``obj``; raises :class:`ObjectError` naming the object."""
        try:
            meta = _map(obj.get("metadata"), "metadata")
            if not meta.get("name"):
                raise ValueError("metadata.name is missing")
            parser = self._parsers.get(kind)
            if parser is None:
                return self._controller(kind, obj, meta)
            return parser(obj, meta)
        except ObjectError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise ObjectError(identity(kind, obj), str(err) or type(err).__name__) from err

    def _namespace(self, _obj: Raw, meta: Raw) -> NamespaceRecord:
        return NamespaceRecord(
            name=sys.intern(str(meta["name"])),
            labels=self.labels.intern(_str_map(meta.get("labels"), "labels")),
        )

    def _node(self, obj: Raw, meta: Raw) -> NodeRecord:
        labels = _str_map(meta.get("labels"), "labels")
        status = _map(obj.get("status"), "status")
        capacity = _map(status.get("capacity"), "status.capacity")
        if "cpu" not in capacity or "memory" not in capacity:
            raise ValueError("status.capacity has no cpu or memory")
        cpu = parse_cpu_millicores(capacity["cpu"])
        memory = parse_memory_bytes(capacity["memory"])
        if cpu <= 0 or memory <= 0:
            raise ValueError(f"capacity cpu={capacity['cpu']} memory={capacity['memory']}")
        gpus = sum(
            parse_cpu_millicores(capacity[r]) // 1000 for r in GPU_RESOURCES if r in capacity
        )
        reported = str(_map(status.get("nodeInfo"), "status.nodeInfo").get("architecture", ""))
        arch = node_labels.architecture(labels, reported) or "amd64"
        if arch not in ("amd64", "arm64"):
            raise ValueError(f"architecture {arch!r} is not supported (amd64, arm64)")
        addresses = tuple(
            str(a["address"])
            for a in (_map(x, "address") for x in _list(status.get("addresses"), "addresses"))
            if a.get("type") in ("InternalIP", "ExternalIP") and a.get("address")
        )
        return NodeRecord(
            name=sys.intern(str(meta["name"])),
            instance_type=node_labels.instance_type(labels),
            zone=node_labels.zone(labels),
            region=node_labels.region(labels),
            capacity_type=node_labels.capacity_type(labels),
            architecture=arch,
            node_pool=node_labels.node_pool(labels),
            cpu_capacity_millicores=cpu,
            memory_capacity_bytes=memory,
            gpu_count=gpus,
            labels=self.labels.intern(labels),
            addresses=addresses,
        )

    def _pod(self, obj: Raw, meta: Raw) -> PodRecord:
        spec = _map(obj.get("spec"), "spec")
        status = _map(obj.get("status"), "status")
        containers = tuple(
            _container(_map(c, "container")) for c in _list(spec.get("containers"), "containers")
        )
        if not containers:
            raise ValueError("spec.containers is empty")
        ips = tuple(
            str(_map(p, "podIP").get("ip"))
            for p in _list(status.get("podIPs"), "status.podIPs")
            if _map(p, "podIP").get("ip")
        ) or ((str(status["podIP"]),) if status.get("podIP") else ())
        return PodRecord(
            namespace=sys.intern(str(meta["namespace"])),
            name=str(meta["name"]),
            node=sys.intern(str(spec.get("nodeName") or "")),
            labels=self.labels.intern(_str_map(meta.get("labels"), "labels")),
            owner=_owner(meta),
            containers=containers,
            volumes=tuple(
                _volume(_map(v, "volume"), str(meta["name"]))
                for v in _list(spec.get("volumes"), "vols")
            ),
            ips=ips,
            host_network=spec.get("hostNetwork") is True,
            started_at=_parse_time(status.get("startTime")),
            finished=status.get("phase") in ("Succeeded", "Failed"),
        )

    def _pvc(self, obj: Raw, meta: Raw) -> PvcRecord:
        spec = _map(obj.get("spec"), "spec")
        capacity = _map(_map(obj.get("status"), "status").get("capacity"), "status.capacity")
        requested = _map(_map(spec.get("resources"), "resources").get("requests"), "requests")
        size = capacity.get("storage") or requested.get("storage") or 0
        return PvcRecord(
            namespace=sys.intern(str(meta["namespace"])),
            name=str(meta["name"]),
            storage_class=str(spec.get("storageClassName") or ""),
            size_bytes=parse_memory_bytes(size),
            requested_bytes=parse_memory_bytes(requested.get("storage") or 0),
        )

    def _service(self, obj: Raw, meta: Raw) -> ServiceRecord:
        spec = _map(obj.get("spec"), "spec")
        selector = _str_map(spec.get("selector"), "spec.selector")
        return ServiceRecord(
            namespace=sys.intern(str(meta["namespace"])),
            name=str(meta["name"]),
            type=sys.intern(str(spec.get("type") or "ClusterIP")),
            selector=LabelSelector.parse({"matchLabels": selector} if selector else None),
        )

    def _hpa(self, obj: Raw, meta: Raw) -> HpaRecord:
        spec = _map(obj.get("spec"), "spec")
        target = _map(spec.get("scaleTargetRef"), "scaleTargetRef")
        metric, utilization = None, None
        for entry in _list(spec.get("metrics"), "metrics"):
            resource = _map(_map(entry, "metric").get("resource"), "metric.resource")
            pct = _map(resource.get("target"), "target").get("averageUtilization")
            if resource.get("name") in ("cpu", "memory") and isinstance(pct, int):
                metric, utilization = str(resource["name"]), pct
                break
        return HpaRecord(
            namespace=sys.intern(str(meta["namespace"])),
            name=str(meta["name"]),
            target_kind=str(target["kind"]),
            target_name=str(target["name"]),
            min_replicas=_int(spec.get("minReplicas"), "minReplicas", 1),
            max_replicas=_int(spec.get("maxReplicas"), "maxReplicas", 1),
            metric=metric,
            target_utilization_pct=utilization,
        )

    def _pdb(self, obj: Raw, meta: Raw) -> PdbRecord:
        spec = _map(obj.get("spec"), "spec")
        return PdbRecord(
            namespace=sys.intern(str(meta["namespace"])),
            name=str(meta["name"]),
            selector=LabelSelector.parse(spec.get("selector")),
            min_available=_int_or_percent(spec.get("minAvailable"), "minAvailable"),
            max_unavailable=_int_or_percent(spec.get("maxUnavailable"), "maxUnavailable"),
        )

    def _controller(self, kind: ResourceKind, obj: Raw, meta: Raw) -> ControllerRecord:
        spec = _map(obj.get("spec"), "spec")
        if kind is ResourceKind.CRONJOB:
            job_spec = _map(_map(spec.get("jobTemplate"), "jobTemplate").get("spec"), "job spec")
            template = _map(job_spec.get("template"), "template")
        else:
            template = _map(spec.get("template"), "spec.template")
        pod_spec = _map(template.get("spec"), "template.spec")
        return ControllerRecord(
            kind=kind,
            namespace=sys.intern(str(meta["namespace"])),
            name=str(meta["name"]),
            owner=_owner(meta),
            replicas=_replicas(kind, spec, _map(obj.get("status"), "status")),
            labels=self.labels.intern(_str_map(meta.get("labels"), "labels")),
            template_labels=self.labels.intern(
                _str_map(
                    _map(template.get("metadata"), "template.metadata").get("labels"), "labels"
                )
            ),
            node_pool=node_labels.node_pool(_str_map(pod_spec.get("nodeSelector"), "nodeSel")),
            schedule=str(spec.get("schedule") or "") if kind is ResourceKind.CRONJOB else "",
            termination_grace_period_s=_int(
                pod_spec.get("terminationGracePeriodSeconds"), "terminationGracePeriodSeconds", 30
            ),
            max_surge_pct=_max_surge_pct(spec),
        )


def _replicas(kind: ResourceKind, spec: Raw, status: Raw) -> int:
    if kind is ResourceKind.DAEMONSET:
        return _int(status.get("desiredNumberScheduled"), "desiredNumberScheduled", 0)
    if kind is ResourceKind.JOB:
        return _int(spec.get("parallelism"), "parallelism", 1)
    if kind is ResourceKind.CRONJOB:
        return 1
    return _int(spec.get("replicas"), "replicas", 1)


def _max_surge_pct(spec: Raw) -> int:
    """A Deployment's rolling-update surge as a percentage of replicas (25 by default)."""
    rolling = _map(_map(spec.get("strategy"), "strategy").get("rollingUpdate"), "rollingUpdate")
    surge = rolling.get("maxSurge")
    if surge is None:
        return 25
    if isinstance(surge, str) and surge.endswith("%"):
        return int(surge[:-1])
    replicas = _int(spec.get("replicas"), "replicas", 1)
    return ceil(100 * int(surge) / replicas) if replicas else 0


def _int_or_percent(value: Any, what: str) -> int | str | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ValueError(f"{what} {value!r} is neither an integer nor a percentage")


def _container(c: Raw) -> ContainerRecord:
    name = str(c["name"])
    resources = _map(c.get("resources"), f"container {name} resources")
    requests = _map(resources.get("requests"), "requests")
    limits = _map(resources.get("limits"), "limits")
    try:
        # Kubernetes defaults an unset request to the limit.
        cpu_limit = parse_cpu_millicores(limits["cpu"]) if "cpu" in limits else None
        mem_limit = parse_memory_bytes(limits["memory"]) if "memory" in limits else None
        cpu = parse_cpu_millicores(requests["cpu"]) if "cpu" in requests else cpu_limit or 0
        memory = parse_memory_bytes(requests["memory"]) if "memory" in requests else mem_limit or 0
        gpu = sum(
            parse_cpu_millicores(requests.get(r) or limits[r]) // 1000
            for r in GPU_RESOURCES
            if r in requests or r in limits
        )
    except ValueError as err:
        raise ValueError(f"container {name}: {err}") from err
    return ContainerRecord(name, cpu, memory, cpu_limit, mem_limit, gpu)


def _volume(v: Raw, pod: str) -> VolumeRecord:
    name = str(v["name"])
    if "persistentVolumeClaim" in v:
        claim = str(_map(v["persistentVolumeClaim"], "persistentVolumeClaim")["claimName"])
        return VolumeRecord(name, "pvc", claim=claim)
    if "ephemeral" in v:  # a generic ephemeral volume: the pod's own claim "<pod>-<volume>"
        return VolumeRecord(name, "pvc", claim=f"{pod}-{name}")
    if "emptyDir" in v:
        limit = _map(v["emptyDir"], "emptyDir").get("sizeLimit")
        return VolumeRecord(name, "empty_dir", size_bytes=parse_memory_bytes(limit or 0))
    if "hostPath" in v:
        return VolumeRecord(name, "host_path")
    return VolumeRecord(name, "other")
