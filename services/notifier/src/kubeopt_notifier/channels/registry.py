"""Channel types from the ``kubeopt.channels`` entry points, and the configured channels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kubeopt_common.plugins import PluginError, PluginGroup, available, load
from kubeopt_notifier.channels.base import Channel, ChannelType
from kubeopt_notifier.errors import ChannelConfigError
from kubeopt_notifier.settings import ChannelSettings


@dataclass(frozen=True, slots=True)
class ConfiguredChannel:
    """A channel built from settings; a disabled one is listed but never sent to."""

    settings: ChannelSettings
    channel: Channel

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def enabled(self) -> bool:
        return self.settings.enabled


def installed_channel_types() -> dict[str, ChannelType]:
    """Every channel type registered in ``kubeopt.channels``, by type name."""
    types: dict[str, ChannelType] = {}
    for name in available(PluginGroup.CHANNELS):
        try:
            loaded = load(PluginGroup.CHANNELS, name)
        except (PluginError, ImportError, AttributeError) as err:
            msg = f"channel type {name!r} could not be loaded: {err}"
            raise ChannelConfigError(msg) from err
        if not callable(getattr(loaded, "from_params", None)):
            msg = f"channel type {name!r} ({loaded!r}) has no from_params(name=, params=)"
            raise ChannelConfigError(msg)
        types[name] = loaded
    return types


def build_channels(
    configs: Sequence[ChannelSettings], types: Mapping[str, ChannelType]
) -> list[ConfiguredChannel]:
    """Build every configured channel; raises :class:`ChannelConfigError` naming the bad one."""
    built = []
    for config in configs:
        channel_type = types.get(config.type)
        if channel_type is None:
            choices = ", ".join(sorted(types)) or "none installed"
            msg = f"channel {config.name!r}: unknown type {config.type!r} (installed: {choices})"
            raise ChannelConfigError(msg)
        channel = channel_type.from_params(name=config.name, params=config.params)
        built.append(ConfiguredChannel(settings=config, channel=channel))
    return built
