"""``SimulatorSource``: a synthetic fleet that publishes what a real cluster would.

Registered as the ``simulator`` plugin of the ``kubeopt.sources`` entry-point group. Every
method is a pure function of the scenario and its argument: the same window always gives the
same events (same ids, same bytes), whatever was generated before.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_collector.simulator.activity import (
    ActivityModel,
    WindowActivity,
    as_datetime,
    window_start_of,
)
from kubeopt_collector.simulator.events import ClusterEvents
from kubeopt_collector.simulator.fleet import ClusterFleet, Fleet, build_fleet
from kubeopt_collector.simulator.profiles import (
    ContainerProfile,
    ProfileArrays,
    UsageArrays,
    build_profile_arrays,
    sample,
)
from kubeopt_collector.simulator.scenario import DEMO_SCENARIO, Scenario, load_scenario
from kubeopt_collector.simulator.specs import PriceDef
from kubeopt_collector.simulator.traffic import Route, build_routes, flows_for_window
from kubeopt_common.events import (
    FlowsObserved,
    InventorySnapshotted,
    UsageSampled,
    event_id_for,
)

if TYPE_CHECKING:
    from kubeopt_collector.settings import CollectorSettings

MAX_FLOWS_PER_MESSAGE = 1000
_CACHED_WINDOWS = 16


@dataclass(frozen=True)
class _ClusterSim:
    fleet: ClusterFleet
    arrays: ProfileArrays
    activity: ActivityModel
    events: ClusterEvents


class SimulatorSource:
    """Inventory, usage and flow events of a scenario's synthetic clusters."""

    kind = "simulator"

    def __init__(
        self,
        scenario: Scenario,
        *,
        producer: str = "collector",
        max_samples_per_message: int = 1000,
    ) -> None:
        self.scenario = scenario
        self.fleet: Fleet = build_fleet(scenario)
        self._producer = producer
        interval = scenario.interval_seconds
        self._sims = {
            c.name: _simulate(c, interval, producer, max_samples_per_message)
            for c in self.fleet.clusters
        }
        self._routes: dict[str, tuple[Route, ...]] = build_routes(scenario, self.fleet)
        self._activity_cache: OrderedDict[tuple[str, int], WindowActivity] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: CollectorSettings) -> SimulatorSource:
        """The source the collector runs: ``settings.scenario`` or the packaged demo."""
        scenario = load_scenario(settings.scenario or DEMO_SCENARIO)
        return cls(scenario, max_samples_per_message=settings.max_samples_per_message)

    @property
    def clusters(self) -> tuple[str, ...]:
        return tuple(self._sims)

    @property
    def interval_seconds(self) -> int:
        return self.scenario.interval_seconds

    @property
    def prices(self) -> tuple[PriceDef, ...]:
        """The scenario's price overrides, for the runner to hand to costing."""
        return self.scenario.prices

    def _start_s(self, window_start: datetime) -> int:
        if window_start.tzinfo is None:
            msg = f"window_start {window_start.isoformat()} must be timezone-aware (UTC)"
            raise ValueError(msg)
        start_s = window_start_of(window_start, self.interval_seconds)
        if start_s != window_start.timestamp():
            msg = (
                f"window_start {window_start.isoformat()} is not aligned to the "
                f"{self.interval_seconds}s interval"
            )
            raise ValueError(msg)
        return start_s

    def activity(self, cluster: str, start_s: int) -> WindowActivity:
        """Which pods run in the window starting at ``start_s`` (cached for a few windows)."""
        key = (cluster, start_s)
        found = self._activity_cache.get(key)
        if found is None:
            found = self._sims[cluster].activity.window(start_s)
            self._activity_cache[key] = found
            if len(self._activity_cache) > _CACHED_WINDOWS * max(1, len(self._sims)):
                self._activity_cache.popitem(last=False)
        return found

    def usage_arrays(self, cluster: str, window_start: datetime) -> UsageArrays:
        """One window of usage for every container slot of ``cluster`` (inactive ones too)."""
        start_s = self._start_s(window_start)
        return self._sample(cluster, start_s, self.activity(cluster, start_s))

    def _sample(self, cluster: str, start_s: int, activity: WindowActivity) -> UsageArrays:
        return sample(
            self._sims[cluster].arrays,
            window_start_s=start_s,
            interval_s=self.interval_seconds,
            run_fraction=activity.run_fraction,
            cpu_scale=activity.cpu_scale,
            memory_scale=activity.memory_scale,
        )

    def usage_messages(self, window_start: datetime) -> list[OutgoingMessage]:
        """``usage.sampled`` messages of every cluster for one window, serialised."""
        start_s = self._start_s(window_start)
        messages: list[OutgoingMessage] = []
        for name, sim in self._sims.items():
            activity = self.activity(name, start_s)
            usage = self._sample(name, start_s, activity)
            messages.extend(sim.events.usage_messages(start_s, activity, usage))
        return messages

    def usage_events(self, window_start: datetime) -> list[UsageSampled]:
        """The usage messages of one window as consumers read them (validated from the JSON)."""
        return [
            UsageSampled.model_validate_json(m.payload) for m in self.usage_messages(window_start)
        ]

    def window_messages(self, window_start: datetime) -> list[OutgoingMessage]:
        """Usage, then flows, of one window: what the collector publishes for it."""
        flows = [OutgoingMessage.of(event) for event in self.flow_events(window_start)]
        return [*self.usage_messages(window_start), *flows]

    def inventory_events(self, at: datetime) -> list[InventorySnapshotted]:
        """A full inventory snapshot of every cluster at ``at`` (split into parts)."""
        if at.tzinfo is None:
            msg = f"at {at.isoformat()} must be timezone-aware (UTC)"
            raise ValueError(msg)
        start_s = window_start_of(at, self.interval_seconds)
        events: list[InventorySnapshotted] = []
        for name, sim in self._sims.items():
            events.extend(sim.events.inventory(at, self.activity(name, start_s)))
        return events

    def flow_events(self, window_start: datetime) -> list[FlowsObserved]:
        """``flows.observed`` messages of every cluster that sent traffic in the window."""
        start_s = self._start_s(window_start)
        activities = {name: self.activity(name, start_s) for name in self._sims}
        builders = {name: sim.events for name, sim in self._sims.items()}
        events: list[FlowsObserved] = []
        for name, sim in self._sims.items():
            flows = flows_for_window(
                self._routes[name],
                window_start_s=start_s,
                interval_s=self.interval_seconds,
                builders=builders,
                activities=activities,
            )
            for chunk, offset in enumerate(range(0, len(flows), MAX_FLOWS_PER_MESSAGE)):
                events.append(
                    FlowsObserved.create(
                        event_id=event_id_for("flows", name, start_s, chunk),
                        occurred_at=as_datetime(start_s + self.interval_seconds),
                        cluster=name,
                        producer=self._producer,
                        provider=sim.fleet.provider,
                        region=sim.fleet.region,
                        window_start=as_datetime(start_s),
                        window_seconds=self.interval_seconds,
                        flows=flows[offset : offset + MAX_FLOWS_PER_MESSAGE],
                    )
                )
        return events


def _simulate(
    fleet: ClusterFleet, interval_s: int, producer: str, max_samples_per_message: int
) -> _ClusterSim:
    largest_node = max((n.memory_capacity_bytes for n in fleet.nodes), default=2**30)
    profiles = [
        ContainerProfile(
            profile=c.profile,
            key=c.key,
            cpu_request_millicores=c.spec.cpu_request_millicores,
            memory_request_bytes=c.spec.memory_request_bytes,
            cpu_limit_millicores=c.spec.cpu_limit_millicores,
            memory_limit_bytes=c.spec.memory_limit_bytes,
            node_memory_bytes=_node_memory(fleet, c.pod, largest_node),
        )
        for c in fleet.containers
    ]
    arrays = build_profile_arrays(profiles, interval_seconds=interval_s)
    return _ClusterSim(
        fleet=fleet,
        arrays=arrays,
        activity=ActivityModel(fleet, arrays, interval_s=interval_s),
        events=ClusterEvents(
            fleet,
            producer=producer,
            interval_s=interval_s,
            max_samples_per_message=max_samples_per_message,
        ),
    )


def _node_memory(fleet: ClusterFleet, pod: int, default: int) -> int:
    node = fleet.pods[pod].node
    return default if node is None else fleet.nodes[node].memory_capacity_bytes
