"""Pure notifier logic: notifications and messages, matchers, the routing tree, delivery
policy, rendering and signing. No I/O (import-linter enforces it)."""

from kubeopt_notifier.domain.notification import (
    CENT,
    NANO_PER_USD,
    DeliveryResult,
    DeliveryStatus,
    Message,
    Notification,
    NotificationKind,
    ResultStatus,
    budget_severity,
    channel_test_notification,
    format_usd,
    notification_from_anomaly,
    notification_from_budget,
    notification_from_recommendation,
)

__all__ = [
    "CENT",
    "NANO_PER_USD",
    "DeliveryResult",
    "DeliveryStatus",
    "Message",
    "Notification",
    "NotificationKind",
    "ResultStatus",
    "budget_severity",
    "channel_test_notification",
    "format_usd",
    "notification_from_anomaly",
    "notification_from_budget",
    "notification_from_recommendation",
]
