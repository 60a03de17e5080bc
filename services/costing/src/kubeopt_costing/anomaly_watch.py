"""Spend anomalies, judged as soon as an hour closes (its next hour has started arriving).

Per cluster the latest usage window seen is tracked; when a batch moves it into a later hour,
every hour in between is complete and judged — per namespace and per workload — against its
seasonal baseline. Findings are stored (timeline) and returned as ``anomaly.detected`` events for
the handler to publish. Re-judging an hour gives the same anomaly ids (the timeline keeps the
latest evaluation) and event ids that change only when the hour's cost changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from kubeopt_common.events import AnomalyDetected, UsageSampled
from kubeopt_costing.analytics import utc_hour  # floors to the hour
from kubeopt_costing.analytics.anomalies import AnomalyStore
from kubeopt_costing.domain.anomalies import Finding, judge, sampled_hours, to_event
from kubeopt_costing.domain.anomaly_policy import AnomalyPolicy

HOUR = timedelta(hours=1)
MAX_HOURS_PER_CALL = 24 * 8  # a long outage: judge the most recent week, skip the rest


class AnomalyWatch:
    def __init__(self, store: AnomalyStore, policy: AnomalyPolicy, *, producer: str) -> None:
        self._store = store
        self._policy = policy
        self._producer = producer
        self._latest: dict[str, datetime | None] = {}

    def observe(self, batches: Sequence[UsageSampled]) -> list[AnomalyDetected]:
        """Judge the hours these batches closed; returns the events to publish."""
        events: list[AnomalyDetected] = []
        for cluster in sorted({b.cluster for b in batches}):
            newest = max(b.window_start for b in batches if b.cluster == cluster)
            if cluster not in self._latest:  # first batch since start: what came before it
                self._latest[cluster] = self._store.latest_window(cluster, before=newest)
            before = self._latest[cluster]
            if before is None or newest > before:
                self._latest[cluster] = newest
            if before is None or utc_hour(newest) <= utc_hour(before):
                continue
            hour = max(utc_hour(before), utc_hour(newest) - MAX_HOURS_PER_CALL * HOUR)
            while hour < utc_hour(newest):
                events.extend(self._judge_hour(cluster, hour))
                hour += HOUR
        return events

    def _judge_hour(self, cluster: str, hour: datetime) -> list[AnomalyDetected]:
        needed = set(sampled_hours(hour, self._policy)) | {hour}
        findings: list[Finding] = []
        series = self._store.hourly_costs(
            cluster, needed, min_cost_nano_usd=self._policy.min_cost_nano_usd
        )
        for key, history in sorted(series.items(), key=lambda item: item[0].workload != ""):
            actual = history.pop(hour, 0)
            finding = judge(key, hour, actual, history, self._policy)
            if finding is not None:
                findings.append(finding)
        self._store.record(findings)
        now = datetime.now(UTC)
        return [to_event(f, producer=self._producer, occurred_at=now) for f in findings]
