"""Rendering a message: Slack Block Kit (within Slack's limits) and the webhook JSON body."""

from __future__ import annotations

from typing import Any

from kubeopt_notifier.domain.notification import Message, Notification

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_FALLBACK_CHARS = 3000
MAX_WEBHOOK_NOTIFICATIONS = 100  # keeps bodies well under the ~20 KB Standard Webhooks advise
SEVERITY_EMOJI = {
    "info": ":information_source:",
    "warning": ":warning:",
    "critical": ":rotating_light:",
}
WEBHOOK_VERSION = "1"


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_escape(text: str) -> str:
    """Slack mrkdwn control characters, escaped as Slack asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(n: Notification) -> dict[str, Any]:
    text = f"{SEVERITY_EMOJI[n.severity.value]} *{slack_escape(n.title)}*\n{slack_escape(n.text)}"
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_CHARS)}}


def _context(n: Notification) -> dict[str, Any]:
    facts = (
        f"{n.kind} · {n.severity.value} · cluster {n.cluster} · {n.occurred_at:%Y-%m-%d %H:%M} UTC"
    )
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(facts)}]}


def slack_payload(message: Message) -> dict[str, Any]:
    """An incoming-webhook body: a header, two blocks per notification, and a closing line
    naming how many did not fit — never more than 50 blocks or 3,000 characters a section."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": clip(message.title, MAX_HEADER_CHARS)},
        }
    ]
    capacity = (MAX_BLOCKS - 2) // 2  # header and the "more" line
    shown = message.notifications[:capacity]
    for n in shown:
        blocks += [_section(n), _context(n)]
    hidden = len(message.notifications) - len(shown)
    if hidden:
        more = f"…and {hidden} more; the delivery log has every one."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    fallback = message.title
    if len(message.notifications) == 1:
        fallback = f"{message.title}: {message.notifications[0].text}"
    return {"text": clip(fallback, MAX_FALLBACK_CHARS), "blocks": blocks}


def webhook_payload(message: Message) -> dict[str, Any]:
    """The generic webhook body (JSON), Alertmanager-like: group, then the notifications."""
    shown = message.notifications[:MAX_WEBHOOK_NOTIFICATIONS]
    return {
        "version": WEBHOOK_VERSION,
        "message_id": str(message.message_id),
        "group_key": message.group_key,
        "route": message.route,
        "group_labels": message.group_labels,
        "title": message.title,
        "severity": message.severity.value,
        "created_at": message.created_at.isoformat(),
        "truncated": len(message.notifications) - len(shown),
        "notifications": [
            {
                "event_id": str(n.source_event_id),
                "subject": n.source_subject,
                "kind": n.kind,
                "cluster": n.cluster,
                "occurred_at": n.occurred_at.isoformat(),
                "title": n.title,
                "text": n.text,
                "severity": n.severity.value,
                "labels": n.labels,
            }
            for n in shown
        ],
    }
