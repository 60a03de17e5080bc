"""Usage profiles, vectorised: one window of usage for every container of a cluster at once.

Each container's profile is flattened into columns of :class:`ProfileArrays` once; a window is
then a handful of numpy operations over those columns. Randomness is counter-based: the noise
of container ``k`` in the window starting at ``t`` is a hash of (its stable key, ``t``)
(splitmix64), so a window's usage is the same whichever order windows are generated in and
whichever other containers exist.

Units: CPU in millicores, memory in bytes, time in seconds (epoch seconds for instants).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from kubeopt_collector.simulator.specs import (
    BatchProfile,
    DiurnalProfile,
    LeakProfile,
    Level,
    Profile,
    SpikyProfile,
)

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
KeyArray: TypeAlias = npt.NDArray[np.uint64]

CONSTANT, DIURNAL, SPIKY, LEAK, BATCH = range(5)
_KIND = {"constant": CONSTANT, "diurnal": DIURNAL, "spiky": SPIKY, "leak": LEAK, "batch": BATCH}
# A level given as a percentage of a request that is not set applies to these defaults.
DEFAULT_CPU_BASE_MILLICORES = 100
DEFAULT_MEMORY_BASE_BYTES = 128 * 2**20
_MASK64 = 2**64 - 1
_GOLDEN = 0x9E3779B97F4A7C15
_STATIC_STREAM = 0x5EED


@dataclass(frozen=True, slots=True)
class ContainerProfile:
    """One container's profile with the facts needed to resolve its levels."""

    profile: Profile
    key: int
    cpu_request_millicores: int
    memory_request_bytes: int
    cpu_limit_millicores: int | None
    memory_limit_bytes: int | None
    node_memory_bytes: int


@dataclass(frozen=True)
class ProfileArrays:
    """Column ``i`` describes container ``i``. Absent limits are ``inf``."""

    kind: npt.NDArray[np.int8]
    key: KeyArray
    cpu_level: FloatArray
    memory_level: FloatArray
    cpu_limit: FloatArray
    memory_limit: FloatArray
    noise: FloatArray
    burst: FloatArray
    amplitude: FloatArray
    memory_amplitude: FloatArray
    period_s: FloatArray
    peak_s: FloatArray
    spike_probability: FloatArray
    spike_magnitude: FloatArray
    memory_spike_magnitude: FloatArray
    leak_bytes_per_s: FloatArray
    leak_cycle_s: FloatArray
    leak_phase_s: FloatArray
    idle: FloatArray

    def __len__(self) -> int:
        return len(self.kind)


@dataclass(frozen=True)
class UsageArrays:
    """One window of usage; column ``i`` is container ``i``. Integers in their units."""

    cpu_usage_millicores: IntArray
    cpu_peak_millicores: IntArray
    memory_usage_bytes: IntArray
    memory_peak_bytes: IntArray
    cpu_throttled_ms: IntArray
    oom_kills: IntArray


def _mix(x: KeyArray) -> KeyArray:
    """splitmix64 finaliser over an array (uint64 arithmetic wraps, as intended)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def uniforms(keys: KeyArray, counter: int, *, streams: int) -> FloatArray:
    """``streams`` rows of uniforms in [0, 1), one column per key, for this ``counter``."""
    out = np.empty((streams, len(keys)), dtype=np.float64)
    for stream in range(streams):
        salt = (counter * _GOLDEN + (stream + 1) * 0xD1B54A32D192ED03) & _MASK64
        bits = _mix(keys ^ np.uint64(salt))
        out[stream] = (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return out


def _normal_pair(u1: FloatArray, u2: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Two independent standard normals per column (Box-Muller)."""
    radius = np.sqrt(-2.0 * np.log1p(-u1))
    angle = 2.0 * math.pi * u2
    return radius * np.cos(angle), radius * np.sin(angle)


def _base(level: Level, request: int, limit: int | None, default: int) -> float:
    return level.resolve(request or limit or default)


def build_profile_arrays(
    containers: Sequence[ContainerProfile], *, interval_seconds: int
) -> ProfileArrays:
    """Flatten profiles into columns; levels get each container's deterministic jitter."""
    n = len(containers)
    keys = np.array([c.key for c in containers], dtype=np.uint64)
    static = uniforms(keys, _STATIC_STREAM, streams=2)
    cols: dict[str, list[float]] = {name: [] for name in _COLUMNS}
    for i, c in enumerate(containers):
        jitter = 1.0 + c.profile.jitter * (2.0 * static[0, i] - 1.0)
        for name, value in _columns(c, jitter, static[1, i], interval_seconds).items():
            cols[name].append(value)
    return ProfileArrays(
        kind=np.array([_KIND[c.profile.type] for c in containers], dtype=np.int8).reshape(n),
        key=keys,
        **{name: np.array(values, dtype=np.float64).reshape(n) for name, values in cols.items()},
    )


_COLUMNS = (
    "cpu_level", "memory_level", "cpu_limit", "memory_limit", "noise", "burst", "amplitude",
    "memory_amplitude", "period_s", "peak_s", "spike_probability", "spike_magnitude",
    "memory_spike_magnitude", "leak_bytes_per_s", "leak_cycle_s", "leak_phase_s", "idle",
)  # fmt: skip


# Columns of a profile that does not use them: no wave, no spikes, no leak, always running.
_NEUTRAL = {
    "amplitude": 0.0, "memory_amplitude": 0.0, "period_s": 86_400.0, "peak_s": 0.0,
    "spike_probability": 0.0, "spike_magnitude": 1.0, "memory_spike_magnitude": 1.0,
    "leak_bytes_per_s": 0.0, "leak_cycle_s": math.inf, "leak_phase_s": 0.0, "idle": 1.0,
}  # fmt: skip


def _columns(
    c: ContainerProfile, jitter: float, phase_u: float, interval_s: int
) -> dict[str, float]:
    p = c.profile
    cpu_base = _base(
        p.cpu, c.cpu_request_millicores, c.cpu_limit_millicores, DEFAULT_CPU_BASE_MILLICORES
    )
    memory_level = jitter * _base(
        p.memory, c.memory_request_bytes, c.memory_limit_bytes, DEFAULT_MEMORY_BASE_BYTES
    )
    row = {
        **_NEUTRAL,
        "cpu_level": jitter * cpu_base,
        "memory_level": memory_level,
        "cpu_limit": math.inf if c.cpu_limit_millicores is None else float(c.cpu_limit_millicores),
        "memory_limit": math.inf if c.memory_limit_bytes is None else float(c.memory_limit_bytes),
        "noise": p.noise,
        "burst": p.burst,
    }
    if isinstance(p, DiurnalProfile):
        row |= {
            "amplitude": p.amplitude,
            "memory_amplitude": p.memory_amplitude,
            "period_s": p.period_hours * 3600,
            "peak_s": p.peak_hour * 3600,
        }
    elif isinstance(p, SpikyProfile):
        row |= {
            "spike_probability": p.spike_probability,
            "spike_magnitude": p.spike_magnitude,
            "memory_spike_magnitude": p.memory_spike_magnitude,
        }
    elif isinstance(p, LeakProfile):
        row |= _leak(c, p, memory_level, phase_u, interval_s)
    elif isinstance(p, BatchProfile):
        row["idle"] = p.idle
    return row


def _leak(
    c: ContainerProfile, p: LeakProfile, level: float, phase_u: float, interval_s: int
) -> dict[str, float]:
    """A leak grows from ``level`` to the ceiling (limit, else the node's memory), then an OOM
    kill restarts it. A level at or above the ceiling crash-loops: one OOM per window."""
    rate = p.leak_per_hour.resolve(c.memory_request_bytes or DEFAULT_MEMORY_BASE_BYTES) / 3600
    if rate <= 0:
        return {}
    ceiling = c.memory_limit_bytes if c.memory_limit_bytes is not None else c.node_memory_bytes
    cycle = max((ceiling - level) / rate, float(interval_s))
    return {"leak_bytes_per_s": rate, "leak_cycle_s": cycle, "leak_phase_s": phase_u * cycle}


def expected_levels(
    a: ProfileArrays, *, at_s: float, run_fraction: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Noise-free CPU (millicores) and memory (bytes) demand at ``at_s``: what an HPA sees."""
    wave = np.cos(2.0 * math.pi * (at_s - a.peak_s) / a.period_s)
    running = np.where(a.kind == BATCH, a.idle + (1.0 - a.idle) * run_fraction, 1.0)
    cpu = a.cpu_level * (1.0 + a.amplitude * wave) * running
    memory = a.memory_level * (1.0 + a.memory_amplitude * wave) * running
    return cpu, memory


def sample(
    a: ProfileArrays,
    *,
    window_start_s: int,
    interval_s: int,
    run_fraction: FloatArray,
    cpu_scale: FloatArray,
    memory_scale: FloatArray,
) -> UsageArrays:
    """Usage of every container over ``[window_start_s, window_start_s + interval_s)``.

    ``run_fraction`` is the share of the window a batch run is active (batch profiles);
    ``cpu_scale``/``memory_scale`` spread an HPA workload's load over its current replicas.
    Demand above a CPU limit is capped and reported as throttled time; memory above a limit
    is an OOM kill (and a restart).
    """
    cpu, memory = expected_levels(
        a, at_s=window_start_s + interval_s / 2, run_fraction=run_fraction
    )
    u = uniforms(a.key, window_start_s, streams=5)
    z_cpu, z_burst = _normal_pair(u[0], u[1])
    z_mem, z_mem_peak = _normal_pair(u[2], u[3])
    spike = (a.kind == SPIKY) & (u[4] < a.spike_probability)
    cpu_avg = cpu * cpu_scale * np.where(spike, a.spike_magnitude, 1.0)
    cpu_avg *= np.clip(1.0 + a.noise * z_cpu, 0.05, None)
    cpu_peak = cpu_avg * (1.0 + a.burst * np.abs(z_burst))
    mem_avg = memory * memory_scale * np.where(spike, a.memory_spike_magnitude, 1.0)
    mem_avg *= np.clip(1.0 + 0.25 * a.noise * z_mem, 0.5, None)
    mem_peak = mem_avg * (1.0 + 0.05 * np.abs(z_mem_peak))
    # Both branches of each np.where below are computed for every column; the discarded side
    # may divide by zero or by inf (no limit, no leak), which is expected and harmless.
    with np.errstate(divide="ignore", invalid="ignore"):
        return _limit(
            a, cpu_avg, cpu_peak, mem_avg, mem_peak, start_s=window_start_s, interval_s=interval_s
        )


def _limit(
    a: ProfileArrays,
    cpu_avg: FloatArray,
    cpu_peak: FloatArray,
    mem_avg: FloatArray,
    mem_peak: FloatArray,
    *,
    start_s: int,
    interval_s: int,
) -> UsageArrays:
    """Apply the leak cycle, then the limits: CPU throttling and OOM kills."""
    window_start_s, end_s = start_s, start_s + interval_s
    leak = a.kind == LEAK
    grown_mid = np.mod(window_start_s + interval_s / 2 - a.leak_phase_s, a.leak_cycle_s)
    grown_end = np.mod(end_s - a.leak_phase_s, a.leak_cycle_s)
    wraps = np.floor((end_s - a.leak_phase_s) / a.leak_cycle_s) - np.floor(
        (window_start_s - a.leak_phase_s) / a.leak_cycle_s
    )
    ceiling = np.minimum(a.memory_limit, a.memory_level + a.leak_bytes_per_s * a.leak_cycle_s)
    mem_avg = np.where(leak, a.memory_level + a.leak_bytes_per_s * grown_mid, mem_avg)
    mem_peak = np.where(
        leak,
        np.where(wraps > 0, ceiling, a.memory_level + a.leak_bytes_per_s * grown_end),
        mem_peak,
    )
    oom = np.where(leak, np.where(np.isfinite(wraps), wraps, 0), mem_peak > a.memory_limit)

    throttled = np.where(
        cpu_peak > a.cpu_limit, interval_s * 1000.0 * (1.0 - a.cpu_limit / cpu_peak), 0.0
    )
    cpu_peak = np.minimum(cpu_peak, a.cpu_limit)
    mem_peak = np.minimum(mem_peak, a.memory_limit)
    return UsageArrays(
        cpu_usage_millicores=_ints(np.minimum(cpu_avg, cpu_peak)),
        cpu_peak_millicores=_ints(cpu_peak),
        memory_usage_bytes=_ints(np.minimum(mem_avg, mem_peak)),
        memory_peak_bytes=_ints(mem_peak),
        cpu_throttled_ms=_ints(throttled),
        oom_kills=_ints(oom),
    )


def _ints(values: FloatArray) -> IntArray:
    return np.rint(np.nan_to_num(values, nan=0.0, posinf=0.0)).astype(np.int64)
