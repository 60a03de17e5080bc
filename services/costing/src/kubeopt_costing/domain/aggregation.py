"""What ``aggregate=`` may group by, parsed once into a validated list of keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# Column of the cost tables behind each plain aggregation key.
COLUMNS: Final = {
    "cluster": "cluster",
    "namespace": "namespace",
    "controller_kind": "workload_kind",
    "controller": "workload",
    "workload": "workload",
    "pod": "pod",
    "container": "container",
    "node": "node",
    "instance_type": "instance_type",
    "capacity_type": "capacity_type",
    "zone": "zone",
}
_LABEL = re.compile(r"^label:([A-Za-z0-9][A-Za-z0-9._/-]{0,252})$")
UNALLOCATED: Final = "__unallocated__"


class AggregateError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class AggregateKey:
    """One grouping key: a column, or a label (``label`` set)."""

    name: str
    column: str = ""
    label: str = ""


def parse_aggregate(text: str) -> tuple[AggregateKey, ...]:
    """``namespace``, ``label:team`` or combinations like ``cluster,namespace``."""
    keys: list[AggregateKey] = []
    for raw in (part.strip() for part in text.split(",")):
        if raw in COLUMNS:
            keys.append(AggregateKey(raw, column=COLUMNS[raw]))
        elif match := _LABEL.match(raw):
            keys.append(AggregateKey(raw, label=match[1]))
        else:
            choices = ", ".join([*COLUMNS, "label:KEY"])
            raise AggregateError(f"{raw!r} is not an aggregation key (choose from {choices})")
    if len({k.name for k in keys}) != len(keys):
        raise AggregateError("an aggregation key is repeated")
    return tuple(keys)


def parse_label_selector(text: str) -> tuple[str, str]:
    """``key:value`` (or ``key=value``) into a pair; the key follows Kubernetes label syntax."""
    for separator in (":", "="):
        key, found, value = text.partition(separator)
        if found and _LABEL.match(f"label:{key}"):
            return key, value
    raise AggregateError(f"{text!r} is not a label selector: use key:value")
