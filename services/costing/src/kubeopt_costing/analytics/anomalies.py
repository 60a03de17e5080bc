"""Hourly cost history for the anomaly detector, and the anomaly timeline table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kubeopt_common.clickhouse import ClickHouse
from kubeopt_costing.domain.allocation import IDLE
from kubeopt_costing.domain.anomalies import Finding, SeriesKey
from kubeopt_costing.domain.windows import Window


@dataclass(frozen=True, slots=True)
class AnomalyRecord:
    anomaly_id: str
    cluster: str
    namespace: str
    workload: str
    hour: datetime
    expected_nano_usd: int
    actual_nano_usd: int
    score: float
    direction: str
    severity: str
    baseline: str


class AnomalyStore:
    def __init__(self, ch: ClickHouse) -> None:
        self._ch = ch
        self._db = ch.database

    def latest_window(self, cluster: str, *, before: datetime) -> datetime | None:
        """The latest usage window of ``cluster`` stored before ``before`` (None if none)."""
        rows = self._ch.query(
            f"SELECT max(window_start) AS latest FROM {self._db}.cost_allocation "
            "WHERE cluster = {cluster:String} AND window_start < {before:DateTime('UTC')}",
            {"cluster": cluster, "before": before},
        )
        latest = rows[0]["latest"] if rows else None
        return None if latest is None or latest.timestamp() == 0 else latest

    def hourly_costs(
        self, cluster: str, hours: Iterable[datetime], *, min_cost_nano_usd: int
    ) -> dict[SeriesKey, dict[datetime, int]]:
        """Attributed (non-idle) cost per series and hour, for the given hours only: every
        namespace (``workload`` empty) and every workload, from one scan.

        Series that never reach ``min_cost_nano_usd`` in any of those hours are left out: the
        detector could not fire on them, and fleets have many tiny workloads.
        """
        asked = {int(h.timestamp()): h.astimezone(UTC) for h in hours}
        # One row per series (arrays of hours and costs): a fleet has thousands of series and
        # each needs a few hundred hours, too many rows to convert one by one. The namespace
        # level is the grouping set without the workload, whose column is then ''.
        rows = self._ch.query(
            "SELECT namespace, w, groupArray(toUInt32(hour)) AS hours, groupArray(cost) AS costs "
            "FROM (SELECT namespace, workload AS w, hour, sum(total_cost_nano_usd) AS cost "
            f"FROM {self._db}.cost_allocation_hourly "
            "WHERE cluster = {cluster:String} AND hour IN {hours:Array(DateTime('UTC'))} "
            f"AND namespace != '{IDLE}' "
            "GROUP BY GROUPING SETS ((namespace, workload, hour), (namespace, hour))) "
            "GROUP BY namespace, w HAVING max(cost) >= {min_cost:Int64}",
            {"cluster": cluster, "hours": sorted(asked.values()), "min_cost": min_cost_nano_usd},
        )
        return {
            SeriesKey(cluster, r["namespace"], r["w"]): {
                asked[int(h)]: int(c) for h, c in zip(r["hours"], r["costs"], strict=True)
            }
            for r in rows
        }

    def record(self, findings: Sequence[Finding]) -> None:
        if not findings:
            return
        now = int(datetime.now(UTC).timestamp())
        self._ch.insert_columns(
            "anomalies",
            {
                "anomaly_id": [f.anomaly_id for f in findings],
                "cluster": [f.key.cluster for f in findings],
                "namespace": [f.key.namespace for f in findings],
                "workload": [f.key.workload for f in findings],
                "hour": [int(f.hour.timestamp()) for f in findings],
                "expected_nano_usd": [f.baseline.expected_nano_usd for f in findings],
                "actual_nano_usd": [f.actual_nano_usd for f in findings],
                "score": [f.score for f in findings],
                "direction": [f.direction for f in findings],
                "severity": [f.severity.value for f in findings],
                "baseline": [f.baseline.kind for f in findings],
                "detected_at": [now] * len(findings),
            },
        )

    def timeline(
        self,
        window: Window,
        *,
        clusters: tuple[str, ...],
        namespaces: tuple[str, ...],
        severities: tuple[str, ...],
    ) -> list[AnomalyRecord]:
        params: dict[str, object] = {"start": window.start, "end": window.end}
        where = ["hour >= {start:DateTime('UTC')}", "hour < {end:DateTime('UTC')}"]
        for column, values in (
            ("cluster", clusters),
            ("namespace", namespaces),
            ("severity", severities),
        ):
            if values:
                where.append(f"{column} IN {{{column}:Array(String)}}")
                params[column] = list(values)
        rows = self._ch.query(
            "SELECT anomaly_id, cluster, namespace, workload, hour, expected_nano_usd, "
            "actual_nano_usd, score, direction, severity, baseline "
            f"FROM {self._db}.anomalies FINAL WHERE {' AND '.join(where)} "
            "ORDER BY hour, score DESC",
            params,
        )
        return [
            AnomalyRecord(
                r["anomaly_id"],
                r["cluster"],
                r["namespace"],
                r["workload"],
                r["hour"],
                int(r["expected_nano_usd"]),
                int(r["actual_nano_usd"]),
                float(r["score"]),
                r["direction"],
                r["severity"],
                r["baseline"],
            )
            for r in rows
        ]
