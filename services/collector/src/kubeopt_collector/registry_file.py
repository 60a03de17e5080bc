"""Declarative cluster registration: a YAML list of clusters (each the body of
``POST /v1/clusters``), registered or updated by name when the collector starts."""

from __future__ import annotations

from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from kubeopt_collector.domain.clusters import ClusterSpec

_CLUSTERS = TypeAdapter(list[ClusterSpec])


class ClustersFileError(ValueError):
    """The clusters file is unreadable or invalid; the message names the file and the field."""


def load_clusters_file(path: Path) -> list[ClusterSpec]:
    try:
        data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as err:
        raise ClustersFileError(f"{path}: {err}") from err
    try:
        specs = _CLUSTERS.validate_python(data or [])
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ClustersFileError(f"{path}: clusters[{where}]: {first['msg']}") from err
    names = [s.name for s in specs]
    if len(names) != len(set(names)):
        raise ClustersFileError(f"{path}: a cluster name appears twice")
    return specs
