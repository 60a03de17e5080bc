"""Use cases of the notifier. They never commit: the handler or route that owns the unit of
work does. Remote endpoints are only called outside transactions."""

from kubeopt_notifier.service.channels import (
    PreparedChannel,
    add_channel,
    channel_directory,
    delete_channel,
    get_channel,
    list_channels,
    prepare_channel,
    replace_channel,
    seed_settings_channels,
)
from kubeopt_notifier.service.dispatch import ChannelInfo, flush_due, next_group_due
from kubeopt_notifier.service.ingest import ingest
from kubeopt_notifier.service.sending import (
    AttemptOutcome,
    DeadLetterNote,
    channels_with_pending,
    claim_due,
    next_due,
    record_attempt,
)
from kubeopt_notifier.service.silences import create_silence, expire_silence, list_silences

__all__ = [
    "AttemptOutcome",
    "ChannelInfo",
    "DeadLetterNote",
    "PreparedChannel",
    "add_channel",
    "channel_directory",
    "channels_with_pending",
    "claim_due",
    "create_silence",
    "delete_channel",
    "expire_silence",
    "flush_due",
    "get_channel",
    "ingest",
    "list_channels",
    "list_silences",
    "next_due",
    "next_group_due",
    "prepare_channel",
    "record_attempt",
    "replace_channel",
    "seed_settings_channels",
]
