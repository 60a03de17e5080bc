"""Generated lab fleets: a seed and a profile mix make a scenario document."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MIB = 2**20
CLUSTER = "lab"


@dataclass(frozen=True)
class Mix:
    """How many workloads, and the relative weight of each usage profile type."""

    name: str
    weights: Mapping[str, float]
    workloads: int


TRAINING_MIXES = (
    Mix("train-steady", {"constant": 4, "diurnal": 4, "spiky": 2, "leak": 1, "batch": 1}, 70),
    Mix("train-bursty", {"constant": 2, "diurnal": 2, "spiky": 4, "leak": 2, "batch": 1}, 70),
)
HELD_OUT_MIX = Mix("held-out", {"constant": 3, "diurnal": 3, "spiky": 3, "leak": 2, "batch": 2}, 80)


def _profile(rng: random.Random, kind: str, cpu_m: int, mem_b: int) -> dict[str, Any]:
    """A usage profile at absolute levels (``amount``): independent of later request changes."""
    base: dict[str, Any] = {
        "type": kind,
        "cpu": {"amount": max(5, int(cpu_m * rng.uniform(0.12, 0.7)))},
        "memory": {"amount": int(mem_b * rng.uniform(0.2, 0.75))},
        "noise": round(rng.uniform(0.03, 0.25), 3),
        "jitter": 0.1,
        "burst": round(rng.uniform(0.1, 1.2), 3),
    }
    if kind == "diurnal":
        base |= {
            "amplitude": round(rng.uniform(0.2, 0.8), 3),
            "memory_amplitude": round(rng.uniform(0.02, 0.3), 3),
            "peak_hour": round(rng.uniform(0, 23.9), 2),
        }
    elif kind == "spiky":
        base |= {
            "spike_probability": round(rng.uniform(0.005, 0.08), 4),
            "spike_magnitude": round(rng.uniform(1.5, 6.0), 2),
            "memory_spike_magnitude": round(rng.uniform(1.0, 1.6), 3),
        }
    elif kind == "leak":
        base["leak_per_hour"] = {"amount": int(mem_b * rng.uniform(0.002, 0.05))}
    elif kind == "batch":
        base |= {"duration_minutes": rng.choice([10, 20, 45, 90]), "idle": 0.02}
    return base


def _container(rng: random.Random, kind: str, name: str) -> dict[str, Any]:
    cpu_m = rng.choice([50, 100, 200, 250, 500, 1000, 2000])
    mem_b = rng.choice([64, 128, 256, 512, 1024, 2048, 4096]) * MIB
    limits: dict[str, Any] = {}
    if rng.random() < 0.7:
        limits["memory"] = str(int(mem_b * rng.choice([1.0, 1.0, 1.5, 2.0])))
    if rng.random() < 0.3:
        limits["cpu"] = f"{int(cpu_m * rng.choice([1.0, 2.0]))}m"
    return {
        "name": name,
        "requests": {"cpu": f"{cpu_m}m", "memory": str(mem_b)},
        "limits": limits,
        "profile": _profile(rng, kind, cpu_m, mem_b),
    }


def _workload(rng: random.Random, index: int, kind: str) -> dict[str, Any]:
    name = f"{kind}-{index}"
    if kind == "batch":
        hour, minute = rng.randrange(24), rng.choice([0, 15, 30])
        schedule = rng.choice([f"{minute} {hour} * * *", f"{minute} */6 * * *"])
        return {
            "namespace": "lab",
            "kind": "CronJob",
            "name": name,
            "schedule": schedule,
            "containers": [_container(rng, kind, "job")],
        }
    workload: dict[str, Any] = {
        "namespace": "lab",
        "kind": "StatefulSet" if rng.random() < 0.15 else "Deployment",
        "name": name,
        "replicas": rng.choice([1, 1, 2, 3, 4]),
        "containers": [_container(rng, kind, "app")],
    }
    if rng.random() < 0.3:
        workload["containers"].append(_container(rng, "constant", "sidecar"))
    if kind == "diurnal" and workload["kind"] == "Deployment" and rng.random() < 0.4:
        workload["hpa"] = {
            "min_replicas": 1,
            "max_replicas": 12,
            "metric": "cpu",
            "target_utilization_pct": 70,
        }
    return workload


def scenario_document(seed: int, mix: Mix, *, interval_s: int = 300) -> dict[str, Any]:
    """A scenario as a plain document (seeded, so the same seed and mix give the same fleet)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible fleet, not a secret
    kinds, weights = zip(*mix.weights.items(), strict=True)
    workloads = [_workload(rng, i, rng.choices(kinds, weights)[0]) for i in range(mix.workloads)]
    return {
        "seed": seed,
        "interval_seconds": interval_s,
        "clusters": [
            {
                "name": CLUSTER,
                "provider": "aws",
                "region": "us-east-1",
                "node_pools": [
                    {
                        "name": "big",
                        "instance_type": "m5.4xlarge",
                        "zones": ["us-east-1a", "us-east-1b"],
                        "count": 4 + mix.workloads,
                    }
                ],
                "namespaces": [{"name": "lab"}],
                "workloads": workloads,
            }
        ],
    }
