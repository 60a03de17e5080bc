"""The fake API server serves objects that are valid against the official Kubernetes schema."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from tests.collector import kube_fixtures as k
from tests.collector.fake_apiserver import FakeApiServer
from tests.collector.kube_fleet import make_deployment, make_node, make_pod, make_replicaset
from tests.collector.kube_rig import populate

# kubernetes-validate ships no type information (and the root mypy config has no override
# for it): it is used through this Any-typed module object only.
kubernetes_validate: Any = importlib.import_module("kubernetes_validate")

RESOURCE_KINDS = {
    "namespaces": "Namespace",
    "nodes": "Node",
    "pods": "Pod",
    "persistentvolumeclaims": "PersistentVolumeClaim",
    "deployments": "Deployment",
    "replicasets": "ReplicaSet",
    "statefulsets": "StatefulSet",
    "daemonsets": "DaemonSet",
    "jobs": "Job",
    "cronjobs": "CronJob",
    "horizontalpodautoscalers": "HorizontalPodAutoscaler",
    "poddisruptionbudgets": "PodDisruptionBudget",
    "services": "Service",
}


def validate(obj: dict[str, object]) -> None:
    kubernetes_validate.validate(obj, k.SCHEMA_VERSION, strict=True)


def test_every_object_of_the_test_cluster_is_schema_valid() -> None:
    server = FakeApiServer()
    populate(server)
    served = 0
    for resource, objects in server.state.objects.items():
        for obj in objects.values():
            assert obj["kind"] == RESOURCE_KINDS[resource]
            validate(obj)
            served += 1
    assert served >= 20


def test_services_and_claims_of_the_asset_tests_are_schema_valid() -> None:
    validate(k.service("headless-ish", selector=None))
    validate(k.service("edge", selector={"app": "web"}, service_type="LoadBalancer"))
    validate(k.pvc("scratch", size="3Gi", capacity="4Gi", storage_class="efs-sc"))


def test_the_scale_fleet_objects_are_schema_valid() -> None:
    for obj in (make_node(7), make_deployment(3), make_replicaset(3), make_pod(95, 5000)):
        validate(obj)


def test_an_unreadable_quantity_is_still_schema_valid() -> None:
    """The bad input the collector must survive passes the API server's schema."""
    validate(k.pod("bad", containers=[k.container(cpu="a lot")]))
    validate(k.node("broken", cpu="four"))


def test_metrics_objects_have_the_metrics_api_shape() -> None:
    pod_metrics = k.pod_metrics("web-1", "shop", {"app": {"cpu": "250m", "memory": "100Mi"}})
    assert pod_metrics["apiVersion"] == "metrics.k8s.io/v1beta1"


def test_schema_validation_catches_a_wrong_object() -> None:
    broken = k.pod("x")
    broken["spec"]["containers"][0]["resources"] = "lots"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)
