"""Strategic-merge patches: resources, schedules, spot placement, merging per workload."""

from __future__ import annotations

import pytest

from kubeopt_recommender.domain.patches import (
    format_cpu,
    format_memory,
    kubectl_command,
    merge,
    recommendation_patch,
    resources_patch,
    schedule_patch,
    spot_patch,
)
from kubeopt_recommender.domain.rightsizing import Resources

MIB = 2**20


def test_quantities() -> None:
    assert format_cpu(250) == "250m"
    assert format_cpu(2000) == "2"
    assert format_memory(300 * MIB) == "300Mi"
    assert format_memory(2 * 1024 * MIB) == "2Gi"
    assert format_memory(300 * MIB + 1) == "301Mi"


def test_deployment_resources_remove_the_cpu_limit() -> None:
    patch = resources_patch("Deployment", "app", Resources(120, 300 * MIB, None, 400 * MIB))
    assert patch == {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "resources": {
                                "requests": {"cpu": "120m", "memory": "300Mi"},
                                "limits": {"cpu": None, "memory": "400Mi"},
                            },
                        }
                    ]
                }
            }
        }
    }


def test_cronjob_containers_sit_under_the_job_template() -> None:
    patch = resources_patch("CronJob", "job", Resources(100, 64 * MIB, None, None))
    containers = patch["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert containers[0]["name"] == "job"


def test_a_bare_pod_has_no_patch() -> None:
    recommended = {"cpu_request_millicores": 1, "memory_request_bytes": 1}
    assert recommendation_patch("rightsizing", "Pod", "app", recommended) is None
    assert recommendation_patch("carbon_region", "Job", "", {"region": "eu-north-1"}) is None


def test_merging_two_containers_and_spot_placement() -> None:
    merged = merge(
        [
            resources_patch("Deployment", "app", Resources(100, 100 * MIB, None, None)),
            resources_patch("Deployment", "sidecar", Resources(10, 32 * MIB, None, 64 * MIB)),
            spot_patch("Deployment", "gcp"),
        ]
    )
    spec = merged["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["containers"]] == ["app", "sidecar"]
    assert spec["nodeSelector"] == {"cloud.google.com/gke-spot": "true"}
    assert spec["tolerations"][0]["key"] == "cloud.google.com/gke-spot"


@pytest.mark.parametrize("kind", ["CronJob"])
def test_schedule_patch_and_command(kind: str) -> None:
    assert schedule_patch("0 3 * * *") == {"spec": {"schedule": "0 3 * * *"}}
    assert kubectl_command(kind, "nightly", "etl", "p.yaml") == (
        "kubectl patch cronjob nightly -n etl --type strategic --patch-file p.yaml"
    )
