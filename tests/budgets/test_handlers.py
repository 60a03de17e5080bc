"""The budgets service on a real nats-server and PostgreSQL: spend events become totals."""

from __future__ import annotations

import httpx
from nats.aio.client import Client

from kubeopt_budgets.app import SERVICE, SPEND_DURABLE
from kubeopt_common.events import Subject, dead_letter_subject, for_cluster
from kubeopt_common.runtime import ServiceRuntime
from tests.budgets.builders import T0, WINDOW, spend_event
from tests.budgets.conftest import API_TOKEN
from tests.jetstream import (
    DeadLetterInbox,
    publish_event,
    publish_raw,
    wait_until_acked,
)


async def _spend(runtime: ServiceRuntime, cluster: str) -> dict[str, object]:
    assert runtime.api is not None
    transport = httpx.ASGITransport(app=runtime.api)
    async with httpx.AsyncClient(transport=transport, base_url="http://budgets") as client:
        response = await client.get(
            "/v1/spend",
            params={
                "start": T0.isoformat(),
                "end": (T0 + 12 * WINDOW).isoformat(),
                "cluster": cluster,
            },
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def _wait(nc: Client, seq: int) -> None:
    await wait_until_acked(nc, subject=Subject.SPEND_UPDATED, durable=SPEND_DURABLE, stream_seq=seq)


async def test_greatest_total_per_window_is_kept_whatever_the_order(
    running_budgets: ServiceRuntime, nc: Client, unique: str
) -> None:
    cluster = f"b-{unique}"
    events = [
        spend_event(cluster=cluster, cost_nano_usd=100),
        spend_event(cluster=cluster, cost_nano_usd=300),
        spend_event(cluster=cluster, cost_nano_usd=200),
        spend_event(cluster=cluster, window_start=T0 + WINDOW, cost_nano_usd=50),
    ]
    seq = 0
    for event in events:
        seq = await publish_event(nc, event)
    await _wait(nc, seq)

    body = await _spend(running_budgets, cluster)
    assert body["total_nano_usd"] == 350
    assert body["namespaces"] == [
        {
            "cluster": cluster,
            "namespace": "shop",
            "windows": 2,
            "cost_nano_usd": 350,
            "cpu_cost_nano_usd": 175,
            "memory_cost_nano_usd": 175,
            "gpu_cost_nano_usd": 0,
            "cost_usd": "0.000000350",
        }
    ]


async def test_a_duplicate_delivery_is_applied_once(
    running_budgets: ServiceRuntime, nc: Client, unique: str
) -> None:
    cluster = f"b-{unique}"
    event = spend_event(cluster=cluster, cost_nano_usd=4_000)
    payload = event.model_dump_json().encode()
    # Distinct Nats-Msg-Ids bypass JetStream's dedupe: the consumer itself must be idempotent.
    first = await publish_raw(nc, event.subject, payload, msg_id=f"{event.event_id}-a")
    second = await publish_raw(nc, event.subject, payload, msg_id=f"{event.event_id}-b")
    assert second > first
    await _wait(nc, second)

    body = await _spend(running_budgets, cluster)
    assert body["total_nano_usd"] == 4_000
    namespaces = body["namespaces"]
    assert isinstance(namespaces, list)
    assert [n["windows"] for n in namespaces] == [1]


async def test_malformed_message_is_dead_lettered_and_the_next_one_processed(
    running_budgets: ServiceRuntime, nc: Client, unique: str
) -> None:
    cluster = f"b-{unique}"
    subject = for_cluster(Subject.SPEND_UPDATED, cluster)
    inbox = DeadLetterInbox(subject)
    await nc.subscribe(dead_letter_subject(SERVICE, subject), cb=inbox.on_message)

    await publish_raw(nc, subject, b'{"namespace": "shop", "cost_nano_usd": "lots"', msg_id=unique)
    seq = await publish_event(nc, spend_event(cluster=cluster, cost_nano_usd=77))
    await _wait(nc, seq)

    record = await inbox.first()
    assert record.reason.startswith("invalid SpendUpdated")
    assert record.original_bytes().startswith(b'{"namespace": "shop"')
    assert (await _spend(running_budgets, cluster))["total_nano_usd"] == 77


async def test_unusable_spend_is_rejected_to_the_dead_letter_subject(
    running_budgets: ServiceRuntime, nc: Client, unique: str
) -> None:
    cluster = f"b-{unique}"
    subject = for_cluster(Subject.SPEND_UPDATED, cluster)
    inbox = DeadLetterInbox(subject)
    await nc.subscribe(dead_letter_subject(SERVICE, subject), cb=inbox.on_message)

    await publish_event(nc, spend_event(cluster=cluster, currency="EUR", cost_nano_usd=5))
    seq = await publish_event(nc, spend_event(cluster=cluster, namespace="ok", cost_nano_usd=6))
    await _wait(nc, seq)

    record = await inbox.first()
    assert "EUR" in record.reason
    assert record.reason.startswith("rejected")
    body = await _spend(running_budgets, cluster)
    assert body["total_nano_usd"] == 6
