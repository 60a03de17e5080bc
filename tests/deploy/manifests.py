"""Render the kustomize trees under ``deploy/k8s`` and read the objects back with types.

Rendered YAML is untyped; the accessors here narrow it (``as_map``, ``as_list``, ``as_str``) and
fail with the path of the offending field, so a test failure names what is wrong.
"""

from __future__ import annotations

import base64
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TypeAlias

from ruamel.yaml import YAML

K8S_DIR = Path(__file__).resolve().parents[2] / "deploy" / "k8s"

Obj: TypeAlias = dict[str, object]

# The kustomize trees under deploy/k8s that the tests render.
TREES = ("base", "overlays/dev", "overlays/production")

# The layout every tree renders: one Deployment per service, its API port, who owns a database.
SERVICE_PORTS = {
    "collector": 8705,
    "costing": 8701,
    "recommender": 8702,
    "budgets": 8703,
    "notifier": 8704,
}
DATABASE_SERVICES = frozenset({"recommender", "budgets", "notifier"})

_QUANTITY = re.compile(r"(?P<number>\d+(?:\.\d+)?)(?P<suffix>m|k|M|G|T|Ki|Mi|Gi|Ti)?")
_SCALE: dict[str, Fraction] = {
    "": Fraction(1),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
}


class RenderError(RuntimeError):
    """``kubectl kustomize`` refused a tree; the message carries its stderr."""


def as_map(value: object, what: str) -> Obj:
    if not isinstance(value, dict):
        raise AssertionError(f"{what}: expected a mapping, got {value!r}")
    return {str(key): item for key, item in value.items()}


def as_list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise AssertionError(f"{what}: expected a list, got {value!r}")
    return list(value)


def as_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise AssertionError(f"{what}: expected a string, got {value!r}")
    return value


def maps(value: object, what: str) -> list[Obj]:
    """A list of mappings; a missing (None) list is empty."""
    if value is None:
        return []
    return [as_map(item, f"{what}[{index}]") for index, item in enumerate(as_list(value, what))]


def get(obj: Obj, path: str) -> object:
    """The value at a dotted ``path`` (``spec.template.spec``); None if any step is missing."""
    node: object = obj
    for step in path.split("."):
        if not isinstance(node, dict) or step not in node:
            return None
        node = node[step]
    return node


def quantity(value: object, what: str) -> Fraction:
    """A Kubernetes quantity (``500m``, ``2``, ``1536Mi``) as an exact number of base units."""
    match = _QUANTITY.fullmatch(str(value))
    if match is None:
        raise AssertionError(f"{what}: {value!r} is not a Kubernetes quantity")
    return Fraction(match["number"]) * _SCALE[match["suffix"] or ""]


def name_of(obj: Obj) -> str:
    return as_str(get(obj, "metadata.name"), "metadata.name")


def pod_spec(workload: Obj) -> Obj:
    return as_map(get(workload, "spec.template.spec"), f"{name_of(workload)} pod spec")


def pod_labels(workload: Obj) -> dict[str, str]:
    labels = as_map(get(workload, "spec.template.metadata.labels"), f"{name_of(workload)} labels")
    return {key: as_str(value, f"label {key}") for key, value in labels.items()}


def containers(workload: Obj) -> list[Obj]:
    spec = pod_spec(workload)
    what = f"{name_of(workload)} containers"
    return maps(spec.get("containers"), what) + maps(spec.get("initContainers"), what)


def container_ports(container: Obj) -> dict[str, int]:
    """Declared ports by name and by number (as text), both mapping to the number."""
    ports: dict[str, int] = {}
    for port in maps(container.get("ports"), "ports"):
        number = port.get("containerPort")
        if not isinstance(number, int):
            raise AssertionError(f"containerPort {number!r} is not an integer")
        ports[str(number)] = number
        if "name" in port:
            ports[as_str(port["name"], "port name")] = number
    return ports


def env_of(container: Obj) -> dict[str, Obj]:
    """The container's ``env`` entries by variable name."""
    entries = maps(container.get("env"), f"{container.get('name')} env")
    return {as_str(entry.get("name"), "env name"): entry for entry in entries}


def secret_ref(entry: Obj) -> Obj | None:
    value = get(entry, "valueFrom.secretKeyRef")
    return None if value is None else as_map(value, "secretKeyRef")


@dataclass(frozen=True)
class Rendering:
    """One ``kubectl kustomize`` output: the raw text and its objects."""

    tree: str
    text: str
    objects: list[Obj]

    def of_kind(self, kind: str) -> list[Obj]:
        return [obj for obj in self.objects if obj.get("kind") == kind]

    def named(self, kind: str, name: str) -> Obj:
        found = [obj for obj in self.of_kind(kind) if name_of(obj) == name]
        if len(found) != 1:
            raise AssertionError(f"{self.tree}: expected one {kind} {name}, found {len(found)}")
        return found[0]

    def workloads(self) -> list[Obj]:
        return self.of_kind("Deployment") + self.of_kind("StatefulSet")

    def generated(self, kind: str, base_name: str) -> Obj:
        """A generated ConfigMap/Secret, whose name may carry kustomize's hash suffix."""
        pattern = re.compile(rf"{re.escape(base_name)}(-[a-z0-9]{{10}})?")
        found = [obj for obj in self.of_kind(kind) if pattern.fullmatch(name_of(obj))]
        if len(found) != 1:
            raise AssertionError(f"{self.tree}: expected one {kind} {base_name}, found {found}")
        return found[0]

    def secret_data(self, name: str) -> dict[str, str]:
        """Decoded data of the Secret called exactly ``name``."""
        data = as_map(self.named("Secret", name).get("data") or {}, f"Secret {name} data")
        return {
            key: base64.b64decode(as_str(value, f"{name}.{key}")).decode()
            for key, value in data.items()
        }


def render(kubectl: str, tree: str) -> Rendering:
    """Run ``kubectl kustomize deploy/k8s/<tree>`` and parse the multi-document YAML."""
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S_DIR / tree)],
        capture_output=True,
        text=True,
        check=False,
        timeout=50,
    )
    if result.returncode != 0:
        raise RenderError(f"kubectl kustomize {tree} failed: {result.stderr.strip()}")
    documents = YAML(typ="safe", pure=True).load_all(result.stdout)
    objects = [as_map(doc, f"{tree} document") for doc in documents if doc is not None]
    return Rendering(tree=tree, text=result.stdout, objects=objects)


def service_deployments(rendering: Rendering) -> dict[str, Obj]:
    """The KubeOpt AI Deployments by service name; exactly the five services."""
    found = {name_of(d).removeprefix("kubeopt-"): d for d in rendering.of_kind("Deployment")}
    assert set(found) == set(SERVICE_PORTS), f"{rendering.tree}: Deployments {sorted(found)}"
    return found
