"""Fixtures of the shared-library tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from prometheus_client import CollectorRegistry

from kubeopt_common.bus import Bus
from kubeopt_common.settings import NatsSettings

BusFactory = Callable[[str], Bus]


@pytest.fixture
def js(nc: Client) -> JetStreamContext:
    return nc.jetstream()


@pytest.fixture
async def bus_factory(nats_url: str) -> AsyncIterator[BusFactory]:
    """Build (not start) buses on the shared server; every one is stopped after the test."""
    buses: list[Bus] = []

    def make(service: str) -> Bus:
        bus = Bus(NatsSettings(url=nats_url), service=service, registry=CollectorRegistry())
        buses.append(bus)
        return bus

    yield make
    for bus in reversed(buses):
        await bus.stop()
