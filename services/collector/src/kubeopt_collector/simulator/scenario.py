"""A simulator scenario: the synthetic fleet described in one YAML file, and its loader.

The file names a ``seed``, a scrape ``interval_seconds`` and ``clusters``; each cluster has
``node_pools``, ``namespaces``, ``workloads`` (containers with requests/limits and a usage
``profile``) and ``flows``; top-level ``prices`` pin node prices for costing (the simulator does
not use them). Entries can be templated with ``count`` to reach scale from a short file — see
:mod:`kubeopt_collector.simulator.templating` and ``services/collector/SCENARIO.md`` (the field
reference, with an example).

:func:`load_scenario` validates everything up front. Its error is one line
``<file>:<line>: <field.path>: <reason>`` pointing at the offending key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from pydantic import Field, ValidationError, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from kubeopt_collector.simulator.specs import (
    ClusterName,
    FieldError,
    FlowDef,
    NamespaceDef,
    NodePoolDef,
    PriceDef,
    Spec,
    WorkloadDef,
)
from kubeopt_collector.simulator.templating import (
    INTERNET,
    ExpandedCluster,
    check_local_flows,
    expand_namespaces,
    expand_workloads,
)
from kubeopt_common.events import Provider

DEMO_SCENARIO: Path = Path(__file__).resolve().parent.parent / "scenarios" / "demo.yaml"
"""The packaged demo: three clusters (AWS, GCP, Azure), ~100 nodes, ~1,500 containers."""

_DOCUMENT = "<document>"


class ClusterDef(Spec):
    name: ClusterName
    provider: Provider
    region: str = Field(min_length=1)
    node_pools: tuple[NodePoolDef, ...] = Field(min_length=1)
    namespaces: tuple[NamespaceDef, ...] = ()
    workloads: tuple[WorkloadDef, ...] = ()
    flows: tuple[FlowDef, ...] = ()

    def expand(self) -> ExpandedCluster:
        """The concrete namespaces and workloads the (templated) entries make."""
        return ExpandedCluster(
            namespaces=expand_namespaces(self.namespaces),
            workloads=expand_workloads(
                self.workloads, namespaces=self.namespaces, pools=self.node_pools
            ),
        )

    @model_validator(mode="after")
    def _references(self) -> Self:
        seen: set[str] = set()
        for index, pool in enumerate(self.node_pools):
            if pool.name in seen:
                raise FieldError(
                    ("node_pools", index, "name"), f"duplicate node pool {pool.name!r}"
                )
            seen.add(pool.name)
        check_local_flows(self.flows, self.expand().workloads)
        return self


class Scenario(Spec):
    """A validated scenario. Quantities are integers (millicores, bytes); see SCENARIO.md."""

    seed: int = Field(ge=0, lt=2**63)
    interval_seconds: int = Field(default=60, ge=10, le=3600)
    clusters: tuple[ClusterDef, ...] = Field(min_length=1)
    prices: tuple[PriceDef, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if 86_400 % self.interval_seconds:
            msg = f"interval_seconds {self.interval_seconds} must divide a day (86400) evenly"
            raise FieldError(("interval_seconds",), msg)
        names: set[str] = set()
        for index, cluster in enumerate(self.clusters):
            if cluster.name in names:
                raise FieldError(("clusters", index, "name"), f"duplicate cluster {cluster.name!r}")
            names.add(cluster.name)
        self._check_remote_flows()
        priced: set[tuple[str, str | None]] = set()
        for index, price in enumerate(self.prices):
            key = (price.instance_type, price.capacity_type)
            if key in priced:
                msg = f"duplicate price for {price.instance_type} ({price.capacity_type or 'any'})"
                raise FieldError(("prices", index, "instance_type"), msg)
            priced.add(key)
        return self

    def _check_remote_flows(self) -> None:
        workloads = {c.name: {w.key for w in c.expand().workloads} for c in self.clusters}
        for ci, cluster in enumerate(self.clusters):
            for fi, flow in enumerate(cluster.flows):
                parts = flow.to.split("/")
                if flow.to == INTERNET or len(parts) != 3:
                    continue
                target, key = parts[0], "/".join(parts[1:])
                if target not in workloads:
                    msg = f"flow target cluster {target!r} is not in this scenario"
                    raise FieldError(("clusters", ci, "flows", fi, "to"), msg)
                if key not in workloads[target]:
                    msg = f"flow target {key!r} is not a workload of cluster {target!r}"
                    raise FieldError(("clusters", ci, "flows", fi, "to"), msg)

    def cluster(self, name: str) -> ClusterDef:
        for cluster in self.clusters:
            if cluster.name == name:
                return cluster
        msg = f"no cluster {name!r} in the scenario"
        raise KeyError(msg)


class ScenarioError(ValueError):
    """A scenario file is unreadable or invalid. ``str()`` is one line:
    ``<file>:<line>: <field.path>: <reason>``."""

    def __init__(self, file: Path, line: int, field: str, reason: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = " ".join(reason.split())
        super().__init__(f"{file}:{line}: {field}: {self.reason}")


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file; raises :class:`ScenarioError` (one line) if bad."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(path, 1, _DOCUMENT, f"cannot read the file: {err}") from None
    try:
        tree = YAML(typ="rt", pure=True).load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = f"invalid YAML: {err.problem or err.context}"
        raise ScenarioError(path, line, _DOCUMENT, reason) from None
    except YAMLError as err:
        raise ScenarioError(path, 1, _DOCUMENT, f"invalid YAML: {err}") from None
    if not isinstance(tree, CommentedMap):
        what = "empty" if tree is None else f"a {type(tree).__name__}"
        raise ScenarioError(path, 1, _DOCUMENT, f"the scenario must be a mapping, found {what}")
    try:
        return Scenario.model_validate(_plain(tree))
    except ValidationError as err:
        raise _scenario_error(path, tree, err) from None


def _plain(node: object) -> object:
    """ruamel's round-trip containers and scalars as plain Python values for pydantic."""
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def _root_causes(err: ValidationError) -> list[Any]:
    """The errors, without "too short after validation" echoes of a failed item inside."""
    errors = err.errors()

    def echo(error: Any) -> bool:
        loc = tuple(error["loc"])
        return error["type"] == "too_short" and any(
            tuple(other["loc"])[: len(loc)] == loc and len(other["loc"]) > len(loc)
            for other in errors
        )

    return [error for error in errors if not echo(error)] or errors


def _scenario_error(path: Path, tree: CommentedMap, err: ValidationError) -> ScenarioError:
    errors = _root_causes(err)
    first = errors[0]
    loc: tuple[str | int, ...] = tuple(first["loc"])
    reason = str(first["msg"]).removeprefix("Value error, ")
    cause: Any = first.get("ctx", {}).get("error")
    if isinstance(cause, FieldError):
        loc, reason = loc + cause.path, cause.reason
    elif first["type"] == "extra_forbidden":
        reason = f"unknown field {loc[-1]!r}"
    elif first["type"] == "missing":
        reason = f"required field {loc[-1]!r} is missing"
    elif first["type"] == "union_tag_invalid":
        loc += ("type",)
    elif first["type"] == "too_short":
        ctx = first.get("ctx", {})
        reason = f"needs at least {ctx.get('min_length')} item(s), found {ctx.get('actual_length')}"
    if len(errors) > 1:
        reason += f" (+{len(errors) - 1} more)"
    line, field = _locate(tree, loc)
    return ScenarioError(path, line, field, reason)


def _locate(tree: CommentedMap, loc: Sequence[str | int]) -> tuple[int, str]:
    """Line (1-based) of the deepest key on ``loc`` present in the file, and the field path.

    Path elements the file does not contain (a discriminated union's tag, a missing field) are
    skipped, except a missing last element which names the field.
    """
    node: Any = tree
    line = 1
    shown: list[str | int] = []
    for position, key in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(node, CommentedMap) and key in node:
            line, node = node.lc.key(key)[0] + 1, node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            line, node = node.lc.item(key)[0] + 1, node[key]
        elif not last:
            continue
        shown.append(key)
    return line, _render(shown)


def _render(path: Sequence[str | int]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or _DOCUMENT
