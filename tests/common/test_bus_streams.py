"""Streams declared in code: created with their limits, idempotently, and restored on drift."""

from __future__ import annotations

import pytest
from nats.js import JetStreamContext

from kubeopt_common.bus.streams import STREAMS, ensure_streams, stream_for
from kubeopt_common.events import Subject


async def test_ensure_streams_creates_every_stream_and_is_idempotent(js: JetStreamContext) -> None:
    await ensure_streams(js)
    await ensure_streams(js)

    for spec in STREAMS:
        info = await js.stream_info(spec.name)
        assert info.config.subjects == list(spec.subjects)
        assert info.config.duplicate_window == spec.duplicate_window_s
        assert info.config.max_age == spec.max_age_s
        assert info.config.max_bytes == spec.max_bytes


async def test_ensure_streams_restores_a_drifted_setting(js: JetStreamContext) -> None:
    await ensure_streams(js)
    spec = stream_for(Subject.BUDGET_THRESHOLD_CROSSED)
    drifted = spec.config()
    drifted.duplicate_window = 5.0
    await js.update_stream(drifted)
    assert (await js.stream_info(spec.name)).config.duplicate_window == 5.0

    await ensure_streams(js)

    assert (await js.stream_info(spec.name)).config.duplicate_window == spec.duplicate_window_s


@pytest.mark.parametrize(
    ("subject", "stream"),
    [
        (Subject.USAGE_SAMPLED, "KUBEOPT_USAGE"),
        (Subject.ANOMALY_DETECTED, "KUBEOPT_SPEND"),
        (Subject.RECOMMENDATION_UPDATED, "KUBEOPT_RECOMMENDATIONS"),
        (Subject.DEAD_LETTER, "KUBEOPT_DEADLETTER"),
    ],
)
def test_stream_for(subject: Subject, stream: str) -> None:
    assert stream_for(subject).name == stream


def test_streams_do_not_overlap() -> None:
    subjects = [s for spec in STREAMS for s in spec.subjects]
    assert len(subjects) == len(set(subjects))
