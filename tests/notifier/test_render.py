"""Slack Block Kit within Slack's limits; the webhook body; Standard Webhooks signatures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from kubeopt_notifier.domain import notification_from_budget, notification_from_recommendation
from kubeopt_notifier.domain.render import (
    MAX_BLOCKS,
    MAX_SECTION_CHARS,
    slack_payload,
    webhook_payload,
)
from kubeopt_notifier.domain.signing import (
    SecretError,
    new_secret,
    secret_key,
    signature_headers,
)
from tests.notifier.builders import budget_event, message_of, recommendation_event


def test_one_notification_is_a_header_a_section_and_a_context() -> None:
    message = message_of(notification_from_budget(budget_event()))
    payload = slack_payload(message)
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "context"]
    assert payload["blocks"][0]["text"]["text"] == "Budget shop-monthly crossed 80% (actual)"
    assert payload["text"].startswith("Budget shop-monthly crossed 80% (actual): Spend to date")
    assert "*Budget shop-monthly crossed 80% (actual)*" in payload["blocks"][1]["text"]["text"]


def test_a_large_digest_stays_within_fifty_blocks_and_says_how_many_are_missing() -> None:
    notes = [
        notification_from_recommendation(recommendation_event(recommendation_id=f"r-{i}"))
        for i in range(60)
    ]
    payload = slack_payload(message_of(*notes))
    blocks = payload["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert blocks[0]["text"]["text"] == "60 new recommendations on c1"
    assert blocks[-1]["elements"][0]["text"].startswith("…and 36 more")


def test_long_text_is_cut_to_the_section_limit_and_escaped() -> None:
    note = notification_from_recommendation(recommendation_event(summary="<x> & " * 1000))
    section = slack_payload(message_of(note))["blocks"][1]["text"]["text"]
    assert len(section) == MAX_SECTION_CHARS
    assert section.endswith("…")
    assert "&lt;x&gt; &amp;" in section
    assert "<x>" not in section


def test_webhook_body_carries_the_group_and_each_notification() -> None:
    notes = [notification_from_budget(budget_event()) for _ in range(2)]
    message = message_of(*notes)
    body = webhook_payload(message)
    assert body["version"] == "1"
    assert body["message_id"] == str(message.message_id)
    assert body["truncated"] == 0
    assert [n["event_id"] for n in body["notifications"]] == [str(n.source_event_id) for n in notes]
    assert body["notifications"][0]["labels"]["kind"] == "budget"
    json.dumps(body)  # serialisable as is


SECRET = new_secret(bytes(range(32)))


def test_signatures_verify_with_the_reference_library() -> None:
    body = b'{"hello": "world"}'
    now = int(datetime.now(UTC).timestamp())
    headers = signature_headers(secret_key(SECRET), msg_id="msg_1", timestamp_s=now, body=body)
    assert Webhook(SECRET).verify(body, headers) == {"hello": "world"}
    tampered = dict(headers, **{"webhook-id": "msg_2"})
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(SECRET).verify(body, tampered)


@pytest.mark.parametrize("secret", ["abc", "whsec_!!!", "whsec_" + "QUJD"])
def test_bad_secrets_are_refused(secret: str) -> None:
    with pytest.raises(SecretError):
        secret_key(secret)
