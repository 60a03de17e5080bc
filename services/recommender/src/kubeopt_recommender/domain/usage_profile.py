"""The usage profile of one container: what rightsizing and the confidence features read.

* a decaying histogram of per-replica window-average CPU (millicores), one sample per replica and
  window (VPA feeds its CPU histogram the same way);
* a decaying histogram of memory *peaks*, one per aggregation interval (the highest working-set
  peak of any replica in it). A higher sample inside the current interval replaces that
  interval's peak (VPA ``AggregateMemoryPeaks``); samples of an older interval than the current
  one arrive too late and are left out of the peaks (they still count everywhere else).
* an OOM kill adds an artificial peak of ``max(used + min_bump, used × bump_ratio)`` with
  ``used = max(memory request, the sample's peak)`` (VPA ``RecordOOM``), so the next
  recommendation moves away from the limit that killed the container;
* plain moments (mean/variance of CPU and memory), a least-squares trend of memory over time,
  and CPU by UTC hour of day: the burstiness, leak and diurnal signals of the confidence model.

Everything is a pure fold: the same samples in any batching give the same profile (up to the
late-interval rule above).
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from kubeopt_recommender.domain.histogram import (
    CPU_BUCKETS,
    MEMORY_BUCKETS,
    DecayingHistogram,
    FloatArray,
)
from kubeopt_recommender.domain.samples import SampleSeries

SECONDS_PER_DAY = 86_400.0
MIB = float(2**20)
_FORMAT = 1


@dataclass(frozen=True, slots=True)
class ProfileParams:
    """How profiles are built. Times in seconds, memory in bytes."""

    cpu_half_life_s: float = 24 * 3600.0
    memory_half_life_s: float = 48 * 3600.0
    memory_interval_s: int = 3600
    oom_bump_ratio: float = 1.2
    oom_min_bump_bytes: int = 100 * 2**20


@dataclass
class Moments:
    """Running sums over samples: n, Σx, Σx² of CPU (millicores) and memory (MiB), and the
    least-squares sums of memory (MiB) against time (days since the profile's first sample)."""

    n: float = 0.0
    cpu: float = 0.0
    cpu_sq: float = 0.0
    mem: float = 0.0
    mem_sq: float = 0.0
    t: float = 0.0
    t_sq: float = 0.0
    t_mem: float = 0.0

    def as_list(self) -> list[float]:
        return [self.n, self.cpu, self.cpu_sq, self.mem, self.mem_sq, self.t, self.t_sq, self.t_mem]


@dataclass
class UsageProfile:
    cpu: DecayingHistogram
    memory_peaks: DecayingHistogram
    memory_interval_s: int
    interval_index: int = -1
    interval_peak: float = 0.0
    first_s: float = -1.0
    last_s: float = -1.0
    cpu_peak_max: float = 0.0
    oom_bumps: int = 0
    moments: Moments = field(default_factory=Moments)
    hour_seconds: FloatArray = field(default_factory=lambda: np.zeros(24))
    hour_cpu: FloatArray = field(default_factory=lambda: np.zeros(24))

    @classmethod
    def empty(cls, params: ProfileParams) -> UsageProfile:
        return cls(
            cpu=DecayingHistogram.empty(CPU_BUCKETS, half_life_s=params.cpu_half_life_s),
            memory_peaks=DecayingHistogram.empty(
                MEMORY_BUCKETS, half_life_s=params.memory_half_life_s
            ),
            memory_interval_s=params.memory_interval_s,
        )

    # ------------------------------------------------------------------ folding

    def fold(self, series: SampleSeries, params: ProfileParams) -> None:
        """Add every sample of ``series`` (any order) to the profile."""
        if len(series) == 0:
            return
        order = np.argsort(series.start_s, kind="stable")
        mid = series.mid_s[order]
        cpu = series.cpu_usage[order].astype(np.float64)
        if self.first_s < 0:
            self.first_s = float(series.start_s.min())
        self.last_s = max(self.last_s, float(mid.max() + series.window_s.max() / 2.0))
        self.cpu.add_many(cpu, mid)
        self.cpu_peak_max = max(self.cpu_peak_max, float(series.cpu_peak.max()))
        self._fold_peaks(series, order, params)
        self._fold_moments(series, order)
        hours = (series.start_s // 3600 % 24).astype(np.int64)
        np.add.at(self.hour_seconds, hours, series.window_s.astype(np.float64))
        np.add.at(self.hour_cpu, hours, series.cpu_usage * series.window_s.astype(np.float64))

    def _fold_peaks(self, series: SampleSeries, order: np.ndarray, params: ProfileParams) -> None:
        peak = series.memory_peak[order].astype(np.float64)
        oom = series.oom_kills[order] > 0
        if bool(oom.any()):
            used = np.maximum(series.memory_request[order].astype(np.float64), peak)
            bumped = np.maximum(used + params.oom_min_bump_bytes, used * params.oom_bump_ratio)
            peak = np.where(oom, bumped, peak)
            self.oom_bumps += int(oom.sum())
        intervals = series.start_s[order] // self.memory_interval_s
        keep = intervals >= self.interval_index
        intervals, peak = intervals[keep], peak[keep]
        if len(intervals) == 0:
            return
        starts = np.flatnonzero(np.r_[True, intervals[1:] != intervals[:-1]])
        peaks = np.maximum.reduceat(peak, starts)
        for interval, value in zip(intervals[starts].tolist(), peaks.tolist(), strict=True):
            at_s = float(interval * self.memory_interval_s)
            if interval == self.interval_index:
                if value <= self.interval_peak:
                    continue
                # The interval keeps one peak: the new, higher one replaces the old.
                self.memory_peaks.subtract(self.interval_peak, at_s)
            self.memory_peaks.add(value, at_s)
            self.interval_index, self.interval_peak = interval, value

    def _fold_moments(self, series: SampleSeries, order: np.ndarray) -> None:
        cpu = series.cpu_usage[order].astype(np.float64)
        mem = series.memory_usage[order].astype(np.float64) / MIB
        t = (series.mid_s[order] - self.first_s) / SECONDS_PER_DAY
        m = self.moments
        m.n += len(cpu)
        m.cpu += float(cpu.sum())
        m.cpu_sq += float((cpu * cpu).sum())
        m.mem += float(mem.sum())
        m.mem_sq += float((mem * mem).sum())
        m.t += float(t.sum())
        m.t_sq += float((t * t).sum())
        m.t_mem += float((t * mem).sum())

    # ------------------------------------------------------------------ reading

    @property
    def is_empty(self) -> bool:
        return self.moments.n == 0

    def cpu_millicores(self, fraction: float) -> float:
        return self.cpu.percentile(fraction)

    def memory_bytes(self, fraction: float) -> float:
        return self.memory_peaks.percentile(fraction)

    def cpu_cv(self) -> float:
        return _cv(self.moments.n, self.moments.cpu, self.moments.cpu_sq)

    def memory_cv(self) -> float:
        return _cv(self.moments.n, self.moments.mem, self.moments.mem_sq)

    def memory_trend_per_day(self) -> float:
        """Least-squares slope of memory per day, relative to the mean (0.1 = +10 %/day)."""
        m = self.moments
        denominator = m.n * m.t_sq - m.t * m.t
        if m.n < 3 or denominator <= 1e-12 or m.mem <= 0:
            return 0.0
        slope = (m.n * m.t_mem - m.t * m.mem) / denominator
        return float(slope / (m.mem / m.n))

    def diurnal_strength(self) -> float:
        """Spread of the mean CPU by hour of day relative to the overall mean (0 = flat).

        Needs every hour seen; 0 otherwise (a day of history is required to see a cycle)."""
        if bool(np.any(self.hour_seconds <= 0)):
            return 0.0
        hourly = self.hour_cpu / self.hour_seconds
        mean = float(hourly.mean())
        return float(hourly.std() / mean) if mean > 0 else 0.0

    def cpu_burstiness(self) -> float:
        """Highest short-interval CPU peak over the median window average (≥ 1 when busy)."""
        median = self.cpu.percentile(0.5)
        return self.cpu_peak_max / median if median > 0 else 0.0

    def history_days(self) -> float:
        return max(0.0, self.last_s - self.first_s) / SECONDS_PER_DAY if self.first_s >= 0 else 0.0

    # ------------------------------------------------------------------ storage

    def to_bytes(self) -> bytes:
        header = {
            "format": _FORMAT,
            "cpu": [self.cpu.half_life_s, self.cpu.reference_s, self.cpu.last_sample_s],
            "memory": [
                self.memory_peaks.half_life_s,
                self.memory_peaks.reference_s,
                self.memory_peaks.last_sample_s,
            ],
            "interval": [self.memory_interval_s, self.interval_index, self.interval_peak],
            "span": [self.first_s, self.last_s, self.cpu_peak_max, self.oom_bumps],
            "moments": self.moments.as_list(),
        }
        arrays = np.concatenate(
            [self.cpu.weights, self.memory_peaks.weights, self.hour_seconds, self.hour_cpu]
        )
        head = json.dumps(header).encode()
        return zlib.compress(len(head).to_bytes(4, "big") + head + arrays.tobytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> UsageProfile:
        raw = zlib.decompress(data)
        size = int.from_bytes(raw[:4], "big")
        header = json.loads(raw[4 : 4 + size])
        if header.get("format") != _FORMAT:
            msg = f"unsupported usage profile format {header.get('format')!r}"
            raise ValueError(msg)
        arrays = np.frombuffer(raw[4 + size :], dtype=np.float64).copy()
        n_cpu, n_mem = CPU_BUCKETS.size, MEMORY_BUCKETS.size
        cpu_hl, cpu_ref, cpu_last = header["cpu"]
        mem_hl, mem_ref, mem_last = header["memory"]
        interval_s, interval_index, interval_peak = header["interval"]
        first_s, last_s, cpu_peak_max, oom_bumps = header["span"]
        return cls(
            cpu=DecayingHistogram(CPU_BUCKETS, cpu_hl, arrays[:n_cpu], cpu_ref, cpu_last),
            memory_peaks=DecayingHistogram(
                MEMORY_BUCKETS, mem_hl, arrays[n_cpu : n_cpu + n_mem], mem_ref, mem_last
            ),
            memory_interval_s=int(interval_s),
            interval_index=int(interval_index),
            interval_peak=float(interval_peak),
            first_s=float(first_s),
            last_s=float(last_s),
            cpu_peak_max=float(cpu_peak_max),
            oom_bumps=int(oom_bumps),
            moments=Moments(*header["moments"]),
            hour_seconds=arrays[n_cpu + n_mem : n_cpu + n_mem + 24],
            hour_cpu=arrays[n_cpu + n_mem + 24 :],
        )


def _cv(n: float, total: float, total_sq: float) -> float:
    """Coefficient of variation from running sums (0 when the mean is 0)."""
    if n < 2 or total <= 0:
        return 0.0
    mean = total / n
    variance = max(0.0, total_sq / n - mean * mean)
    return math.sqrt(variance) / mean
