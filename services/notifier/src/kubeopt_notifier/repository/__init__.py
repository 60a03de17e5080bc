"""SQL of the notifier service (PostgreSQL and SQLite). Repositories never commit: the handler
or route that owns the unit of work does."""

from kubeopt_notifier.repository import channels, deliveries, groups, outbox, silences
from kubeopt_notifier.repository.deliveries import list_deliveries

__all__ = ["channels", "deliveries", "groups", "list_deliveries", "outbox", "silences"]
