"""Channel types from the ``kubeopt.channels`` entry points, and building channels from them."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

from kubeopt_common.plugins import PluginError, PluginGroup, available, load
from kubeopt_notifier.channels.base import Channel, ChannelType
from kubeopt_notifier.errors import ChannelConfigError


def installed_channel_types() -> dict[str, ChannelType]:
    """Every channel type registered in ``kubeopt.channels``, by type name."""
    types: dict[str, ChannelType] = {}
    for name in available(PluginGroup.CHANNELS):
        try:
            loaded = load(PluginGroup.CHANNELS, name)
        except (PluginError, ImportError, AttributeError) as err:
            msg = f"channel type {name!r} could not be loaded: {err}"
            raise ChannelConfigError(msg, field="type") from err
        if not callable(getattr(loaded, "from_params", None)):
            msg = f"channel type {name!r} ({loaded!r}) has no from_params(name=, params=)"
            raise ChannelConfigError(msg, field="type")
        types[name] = loaded
    return types


def channel_type(types: Mapping[str, ChannelType], *, name: str, type_: str) -> ChannelType:
    """The type ``type_``; :class:`ChannelConfigError` naming the installed ones if unknown."""
    found = types.get(type_)
    if found is None:
        choices = ", ".join(sorted(types)) or "none installed"
        msg = f"channel {name!r}: unknown type {type_!r} (installed: {choices})"
        raise ChannelConfigError(msg, field="type")
    return found


def build_channel(
    types: Mapping[str, ChannelType], *, name: str, type_: str, params: Mapping[str, JsonValue]
) -> Channel:
    """A channel of type ``type_``; raises :class:`ChannelConfigError` naming the bad input."""
    return channel_type(types, name=name, type_=type_).from_params(name=name, params=params)


def generated_params(channel_type: ChannelType) -> dict[str, str]:
    """Params the type generates for a new channel (e.g. a webhook signing secret)."""
    generate = getattr(channel_type, "generated_params", None)
    return dict(generate()) if callable(generate) else {}
