"""The notifier's edges: the bus handler (ingest), the dispatcher loop and channel workers."""

from kubeopt_notifier.handlers.dispatcher import DispatchConfig, Dispatcher
from kubeopt_notifier.handlers.events import NotifyHandler
from kubeopt_notifier.handlers.workers import ChannelWorker

__all__ = ["ChannelWorker", "DispatchConfig", "Dispatcher", "NotifyHandler"]
