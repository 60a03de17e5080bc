"""Read columnar ``usage.sampled`` events back as rows, the way a consumer would."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kubeopt_common.events import ContainerSample, UsageSampled


@dataclass(frozen=True)
class PlacedSample:
    """One container's sample and the node it was published under."""

    node: str
    sample: ContainerSample


def placed_samples(events: Iterable[UsageSampled]) -> list[PlacedSample]:
    """Every container entry of ``events`` in publishing order, labels resolved."""
    out: list[PlacedSample] = []
    for event in events:
        for node_usage in event.nodes:
            c = node_usage.containers
            for i in range(len(c)):
                sample = ContainerSample(
                    namespace=c.namespace[i],
                    pod=c.pod[i],
                    workload_kind=c.workload_kind[i],
                    workload=c.workload[i],
                    container=c.container[i],
                    labels=event.label_sets[c.label_set[i]],
                    cpu_request_millicores=c.cpu_request_millicores[i],
                    memory_request_bytes=c.memory_request_bytes[i],
                    cpu_limit_millicores=c.cpu_limit_millicores[i],
                    memory_limit_bytes=c.memory_limit_bytes[i],
                    gpu_request=c.gpu_request[i],
                    cpu_usage_millicores=c.cpu_usage_millicores[i],
                    cpu_peak_millicores=c.cpu_peak_millicores[i],
                    memory_usage_bytes=c.memory_usage_bytes[i],
                    memory_peak_bytes=c.memory_peak_bytes[i],
                    cpu_throttled_ms=c.cpu_throttled_ms[i],
                    oom_kills=c.oom_kills[i],
                    restarts=c.restarts[i],
                )
                out.append(PlacedSample(node_usage.node.name, sample))
    return out


def samples(events: Iterable[UsageSampled]) -> list[ContainerSample]:
    """Every container sample of ``events`` in publishing order."""
    return [placed.sample for placed in placed_samples(events)]
