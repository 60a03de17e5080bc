"""Kubernetes objects as the API server serves them (JSON), for the fake API server.

Every builder returns an object that passes ``kubernetes-validate`` against the official
schema of :data:`SCHEMA_VERSION` (tests/collector/test_kube_fixtures.py holds them to it).
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = "1.33.0"
Obj = dict[str, Any]


def _meta(
    name: str,
    namespace: str | None = None,
    *,
    labels: dict[str, str] | None = None,
    owner: tuple[str, str, str] | None = None,
    uid: str | None = None,
) -> Obj:
    meta: Obj = {"name": name, "uid": uid or f"uid-{namespace or ''}-{name}"}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    if owner is not None:
        api_version, kind, owner_name = owner
        meta["ownerReferences"] = [
            {
                "apiVersion": api_version,
                "kind": kind,
                "name": owner_name,
                "uid": f"uid-{namespace}-{owner_name}",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return meta


def namespace(name: str, labels: dict[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": _meta(name, labels=labels),
        "status": {"phase": "Active"},
    }


def node(
    name: str,
    *,
    instance_type: str = "m5.xlarge",
    zone: str = "us-east-1a",
    region: str = "us-east-1",
    cpu: str = "4",
    memory: str = "16006428Ki",
    arch: str = "amd64",
    ip: str = "10.0.1.10",
    extra_labels: dict[str, str] | None = None,
    gpus: int = 0,
) -> Obj:
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/arch": arch,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": instance_type,
        "topology.kubernetes.io/zone": zone,
        "topology.kubernetes.io/region": region,
        **(extra_labels or {}),
    }
    capacity = {"cpu": cpu, "memory": memory, "pods": "110"}
    if gpus:
        capacity["nvidia.com/gpu"] = str(gpus)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta(name, labels=labels),
        "spec": {"providerID": f"aws:///{zone}/i-{abs(hash(name)) % 10**12:012d}"},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "architecture": arch,
                "bootID": "b",
                "containerRuntimeVersion": "containerd://1.7.0",
                "kernelVersion": "6.1.0",
                "kubeProxyVersion": "v1.33.0",
                "kubeletVersion": "v1.33.0",
                "machineID": "m",
                "operatingSystem": "linux",
                "osImage": "Amazon Linux 2023",
                "systemUUID": "s",
            },
        },
    }


def container(
    name: str = "app",
    *,
    cpu: str | None = "250m",
    memory: str | None = "256Mi",
    cpu_limit: str | None = None,
    memory_limit: str | None = "512Mi",
    gpus: int = 0,
) -> Obj:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    limits = {k: v for k, v in (("cpu", cpu_limit), ("memory", memory_limit)) if v is not None}
    if gpus:
        limits["nvidia.com/gpu"] = str(gpus)
    return {
        "name": name,
        "image": f"registry.example.com/{name}:1.0",
        "resources": {"requests": requests, "limits": limits},
    }


def pod(
    name: str,
    namespace_name: str = "shop",
    *,
    node_name: str = "node-a",
    owner: tuple[str, str, str] | None = None,
    labels: dict[str, str] | None = None,
    containers: list[Obj] | None = None,
    ip: str = "10.1.0.10",
    phase: str = "Running",
    volumes: list[Obj] | None = None,
    host_network: bool = False,
) -> Obj:
    spec: Obj = {
        "nodeName": node_name,
        "containers": containers or [container()],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
    }
    if volumes:
        spec["volumes"] = volumes
    if host_network:
        spec["hostNetwork"] = True
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name, namespace_name, labels=labels, owner=owner),
        "spec": spec,
        "status": {
            "phase": phase,
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "hostIP": "10.0.1.10",
            "startTime": "2026-11-20T10:00:00Z",
        },
    }


def _template(labels: dict[str, str], *, node_pool: str | None = None) -> Obj:
    spec: Obj = {"containers": [container()], "terminationGracePeriodSeconds": 45}
    if node_pool:
        spec["nodeSelector"] = {"karpenter.sh/nodepool": node_pool}
    return {"metadata": {"labels": labels}, "spec": spec}


def deployment(
    name: str, namespace_name: str = "shop", *, replicas: int = 3, node_pool: str | None = None
) -> Obj:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, namespace_name, labels=labels),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 0},
            },
            "template": _template(labels, node_pool=node_pool),
        },
    }


def replicaset(name: str, deployment_name: str | None, namespace_name: str = "shop") -> Obj:
    labels = {"app": deployment_name or name, "pod-template-hash": name.rsplit("-", 1)[-1]}
    owner = ("apps/v1", "Deployment", deployment_name) if deployment_name else None
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": _meta(name, namespace_name, labels=labels, owner=owner),
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": labels},
            "template": _template(labels),
        },
    }


def statefulset(name: str, namespace_name: str = "shop", *, replicas: int = 2) -> Obj:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(name, namespace_name, labels=labels),
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": labels},
            "template": _template(labels),
        },
    }


def daemonset(name: str, namespace_name: str = "kube-system") -> Obj:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(name, namespace_name, labels=labels),
        "spec": {"selector": {"matchLabels": labels}, "template": _template(labels)},
        "status": {
            "desiredNumberScheduled": 2,
            "currentNumberScheduled": 2,
            "numberMisscheduled": 0,
            "numberReady": 2,
        },
    }


def cronjob(name: str, namespace_name: str = "batch", *, schedule: str = "0 2 * * *") -> Obj:
    labels = {"app": name}
    template = _template(labels)
    template["spec"]["restartPolicy"] = "OnFailure"
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta(name, namespace_name, labels=labels),
        "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": template}}},
    }


def job(name: str, namespace_name: str = "batch", *, cronjob_name: str | None = None) -> Obj:
    labels = {"job-name": name}
    template = _template(labels)
    template["spec"]["restartPolicy"] = "Never"
    owner = ("batch/v1", "CronJob", cronjob_name) if cronjob_name else None
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _meta(name, namespace_name, labels=labels, owner=owner),
        "spec": {"parallelism": 2, "template": template},
    }


def hpa(name: str, target: str, namespace_name: str = "shop", *, utilization: int = 70) -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(name, namespace_name),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": utilization},
                    },
                }
            ],
        },
    }


def pdb(name: str, app: str, namespace_name: str = "shop", *, min_available: Any = "50%") -> Obj:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(name, namespace_name),
        "spec": {"minAvailable": min_available, "selector": {"matchLabels": {"app": app}}},
    }


def pvc(
    name: str,
    namespace_name: str = "shop",
    *,
    size: str = "20Gi",
    capacity: str | None = None,
    storage_class: str = "gp3",
) -> Obj:
    """A bound claim; ``capacity`` (what was provisioned) defaults to the requested ``size``."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _meta(name, namespace_name),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": storage_class,
            "resources": {"requests": {"storage": size}},
        },
        "status": {"phase": "Bound", "capacity": {"storage": capacity or size}},
    }


def service(
    name: str,
    namespace_name: str = "shop",
    *,
    selector: dict[str, str] | None = None,
    service_type: str = "ClusterIP",
) -> Obj:
    """A Service on port 80; ``selector`` None makes one without a selector."""
    spec: Obj = {
        "type": service_type,
        "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
    }
    if selector is not None:
        spec["selector"] = selector
    status: Obj = {"loadBalancer": {}}
    if service_type == "LoadBalancer":
        status["loadBalancer"] = {"ingress": [{"hostname": f"{name}.elb.example.com"}]}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, namespace_name),
        "spec": spec,
        "status": status,
    }


def pod_metrics(name: str, namespace_name: str, usage: dict[str, dict[str, str]]) -> Obj:
    return {
        "apiVersion": "metrics.k8s.io/v1beta1",
        "kind": "PodMetrics",
        "metadata": {"name": name, "namespace": namespace_name},
        "timestamp": "2026-11-20T10:00:00Z",
        "window": "15s",
        "containers": [{"name": c, "usage": u} for c, u in usage.items()],
    }
