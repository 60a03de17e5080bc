"""Shapes (vCPU, memory, architecture, GPUs) of common AWS, GCP and Azure instance types.

A scenario names an instance type; its capacity comes from this table unless the node pool
gives ``vcpu`` and ``memory_gib`` explicitly (needed for anything not listed here, e.g. on-prem
hardware). Memory is the advertised size in MiB; capacities are totals, not allocatable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Architecture = Literal["amd64", "arm64"]
MIB = 2**20


@dataclass(frozen=True, slots=True)
class InstanceShape:
    vcpu: int
    memory_mib: int
    architecture: Architecture = "amd64"
    gpu_count: int = 0

    @property
    def cpu_millicores(self) -> int:
        return self.vcpu * 1000

    @property
    def memory_bytes(self) -> int:
        return self.memory_mib * MIB


_AWS_VCPU = {
    "medium": 1, "large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32,
    "9xlarge": 36, "12xlarge": 48, "16xlarge": 64, "18xlarge": 72, "24xlarge": 96,
    "32xlarge": 128,
}  # fmt: skip


def _aws(
    family: str, sizes: Iterable[str], *, gib_per_vcpu: int, arch: Architecture = "amd64"
) -> dict[str, InstanceShape]:
    return {
        f"{family}.{size}": InstanceShape(
            _AWS_VCPU[size], _AWS_VCPU[size] * gib_per_vcpu * 1024, arch
        )
        for size in sizes
    }


def _sized(
    pattern: str, vcpus: Iterable[int], *, gib_per_vcpu: int, arch: Architecture = "amd64"
) -> dict[str, InstanceShape]:
    """Types named by their vCPU count, e.g. ``n2-standard-{}`` or ``Standard_D{}s_v5``."""
    return {pattern.format(v): InstanceShape(v, v * gib_per_vcpu * 1024, arch) for v in vcpus}


_M5 = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")
_M6 = (*_M5, "32xlarge")
_GRAVITON = ("medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_C5 = ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge")

_BURSTABLE = {
    "t3.nano": InstanceShape(2, 512), "t3.micro": InstanceShape(2, 1024),
    "t3.small": InstanceShape(2, 2048), "t3.medium": InstanceShape(2, 4096),
    "t3.large": InstanceShape(2, 8192), "t3.xlarge": InstanceShape(4, 16384),
    "t3.2xlarge": InstanceShape(8, 32768),
    "t4g.medium": InstanceShape(2, 4096, "arm64"), "t4g.large": InstanceShape(2, 8192, "arm64"),
    "t4g.xlarge": InstanceShape(4, 16384, "arm64"),
    "e2-micro": InstanceShape(2, 1024), "e2-small": InstanceShape(2, 2048),
    "e2-medium": InstanceShape(2, 4096),
    "Standard_B2s": InstanceShape(2, 4096), "Standard_B2ms": InstanceShape(2, 8192),
    "Standard_B4ms": InstanceShape(4, 16384), "Standard_B8ms": InstanceShape(8, 32768),
}  # fmt: skip

_GPU = {
    "g4dn.xlarge": InstanceShape(4, 16384, gpu_count=1),
    "g4dn.2xlarge": InstanceShape(8, 32768, gpu_count=1),
    "g4dn.12xlarge": InstanceShape(48, 196608, gpu_count=4),
    "g5.xlarge": InstanceShape(4, 16384, gpu_count=1),
    "g5.12xlarge": InstanceShape(48, 196608, gpu_count=4),
    "Standard_NC4as_T4_v3": InstanceShape(4, 28672, gpu_count=1),
}

INSTANCE_TYPES: Mapping[str, InstanceShape] = {
    # AWS
    **_aws("m5", _M5, gib_per_vcpu=4),
    **_aws("m6i", _M6, gib_per_vcpu=4),
    **_aws("m7i", _M5, gib_per_vcpu=4),
    **_aws("m6g", _GRAVITON, gib_per_vcpu=4, arch="arm64"),
    **_aws("m7g", _GRAVITON, gib_per_vcpu=4, arch="arm64"),
    **_aws("c5", _C5, gib_per_vcpu=2),
    **_aws("c6i", _M6, gib_per_vcpu=2),
    **_aws("c6g", _GRAVITON, gib_per_vcpu=2, arch="arm64"),
    **_aws("r5", _M5, gib_per_vcpu=8),
    **_aws("r6i", _M6, gib_per_vcpu=8),
    **_aws("r6g", _GRAVITON, gib_per_vcpu=8, arch="arm64"),
    # GCP
    **_sized("n2-standard-{}", (2, 4, 8, 16, 32, 48, 64, 80), gib_per_vcpu=4),
    **_sized("n2-highmem-{}", (2, 4, 8, 16, 32, 48, 64, 80), gib_per_vcpu=8),
    **_sized("n2-highcpu-{}", (2, 4, 8, 16, 32, 48, 64, 80), gib_per_vcpu=1),
    **_sized("n2d-standard-{}", (2, 4, 8, 16, 32, 48, 64, 80), gib_per_vcpu=4),
    **_sized("e2-standard-{}", (2, 4, 8, 16, 32), gib_per_vcpu=4),
    **_sized("e2-highmem-{}", (2, 4, 8, 16), gib_per_vcpu=8),
    **_sized("c2-standard-{}", (4, 8, 16, 30, 60), gib_per_vcpu=4),
    **_sized("t2a-standard-{}", (1, 2, 4, 8, 16, 32, 48), gib_per_vcpu=4, arch="arm64"),
    # Azure
    **_sized("Standard_D{}s_v5", (2, 4, 8, 16, 32, 48, 64, 96), gib_per_vcpu=4),
    **_sized("Standard_D{}as_v5", (2, 4, 8, 16, 32, 48, 64, 96), gib_per_vcpu=4),
    **_sized("Standard_D{}ps_v5", (2, 4, 8, 16, 32, 48, 64), gib_per_vcpu=4, arch="arm64"),
    **_sized("Standard_E{}s_v5", (2, 4, 8, 16, 20, 32, 48, 64, 96), gib_per_vcpu=8),
    **_sized("Standard_F{}s_v2", (2, 4, 8, 16, 32, 48, 64, 72), gib_per_vcpu=2),
    **_BURSTABLE,
    **_GPU,
}


def instance_shape(instance_type: str) -> InstanceShape | None:
    """The shape of a known instance type, or None when the table does not list it."""
    return INSTANCE_TYPES.get(instance_type)
