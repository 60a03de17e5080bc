"""Channels: validated at creation (type, params, reachability), stored, seeded from settings.

Network checks run before the caller opens its transaction (:func:`prepare_channel`), so no
database transaction waits on a remote endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import JsonValue
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_notifier.channels.base import ChannelType
from kubeopt_notifier.channels.registry import build_channel, channel_type, generated_params
from kubeopt_notifier.errors import ChannelExistsError, ChannelNotFoundError, ChannelReadOnlyError
from kubeopt_notifier.models import ChannelRecord
from kubeopt_notifier.repository import channels
from kubeopt_notifier.service.dispatch import ChannelInfo
from kubeopt_notifier.settings import ChannelSettings

API = "api"
SETTINGS = "settings"


@dataclass(frozen=True, slots=True)
class PreparedChannel:
    name: str
    type: str
    params: dict[str, JsonValue]
    generated: dict[str, str]


async def prepare_channel(
    types: Mapping[str, ChannelType],
    *,
    name: str,
    type_: str,
    params: Mapping[str, JsonValue],
    verify: bool,
) -> PreparedChannel:
    """Validate a channel definition and, when ``verify``, that its endpoint answers a TCP
    connection. Raises ``ChannelConfigError`` or ``ChannelUnreachableError`` naming the field."""
    kind = channel_type(types, name=name, type_=type_)
    generated = {k: v for k, v in generated_params(kind).items() if k not in params}
    full: dict[str, JsonValue] = {**generated, **params}
    channel = build_channel(types, name=name, type_=type_, params=full)
    try:
        if verify:
            await channel.check()
    finally:
        await channel.close()
    return PreparedChannel(name, type_, full, generated)


async def add_channel(
    session: AsyncSession, prepared: PreparedChannel, *, enabled: bool, now: datetime
) -> ChannelRecord:
    if await channels.get_channel(session, prepared.name) is not None:
        raise ChannelExistsError(f"a channel named {prepared.name!r} exists")
    record = ChannelRecord(
        name=prepared.name,
        type=prepared.type,
        params=prepared.params,
        enabled=enabled,
        disabled_reason="",
        source=API,
        created_at=now,
        updated_at=now,
    )
    await channels.add_channel(session, record)
    return record


async def _editable(session: AsyncSession, name: str) -> ChannelRecord:
    record = await get_channel(session, name)
    if record.source == SETTINGS:
        raise ChannelReadOnlyError(f"channel {name!r} is defined in settings (KUBEOPT_CHANNELS)")
    return record


async def replace_channel(
    session: AsyncSession, prepared: PreparedChannel, *, enabled: bool, now: datetime
) -> ChannelRecord:
    """Replace an API-created channel; re-enabling clears a 410's disabled reason."""
    record = await _editable(session, prepared.name)
    record.type = prepared.type
    record.params = prepared.params
    record.enabled = enabled
    record.disabled_reason = ""
    record.updated_at = now
    await session.flush()
    return record


async def delete_channel(session: AsyncSession, name: str) -> None:
    await _editable(session, name)
    await channels.delete_channel(session, name)


async def get_channel(session: AsyncSession, name: str) -> ChannelRecord:
    record = await channels.get_channel(session, name)
    if record is None:
        raise ChannelNotFoundError(f"no channel named {name!r}")
    return record


async def list_channels(session: AsyncSession) -> Sequence[ChannelRecord]:
    return await channels.list_channels(session)


async def channel_directory(session: AsyncSession) -> dict[str, ChannelInfo]:
    return {c.name: ChannelInfo(c.name, c.type, c.enabled) for c in await list_channels(session)}


async def seed_settings_channels(
    session: AsyncSession, configs: Sequence[ChannelSettings], *, now: datetime
) -> None:
    """Write the settings' channels; a channel whose settings did not change keeps its state
    (a channel disabled by a 410 stays disabled until its settings change)."""
    for config in configs:
        record = await channels.get_channel(session, config.name)
        if record is None:
            record = ChannelRecord(name=config.name, created_at=now, disabled_reason="")
            session.add(record)
        elif (record.source, record.type, record.params) == (SETTINGS, config.type, config.params):
            if record.enabled or not config.enabled:
                continue
            if record.disabled_reason:  # disabled by the endpoint: settings unchanged, keep it
                continue
        record.type = config.type
        record.params = dict(config.params)
        record.enabled = config.enabled
        record.disabled_reason = ""
        record.source = SETTINGS
        record.updated_at = now
    await session.flush()
