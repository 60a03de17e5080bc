"""Settings of the notifier service (env prefix ``KUBEOPT_``, nesting with ``__``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, JsonValue, SecretStr, field_validator

from kubeopt_common.settings import ApiSettings, DatabaseSettings, ServiceSettings


class ChannelSettings(BaseModel):
    """One destination: ``type`` names a ``kubeopt.channels`` plugin, ``params`` configure it.

    Params may hold secrets (webhook URLs, signing keys); the API lists only their names.
    """

    name: str = Field(pattern=r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$")
    type: str = Field(min_length=1, max_length=63)
    enabled: bool = True
    params: dict[str, JsonValue] = Field(default_factory=dict)


class NotifierSettings(ServiceSettings):
    """E.g. ``KUBEOPT_CHANNELS='[{"name": "ops", "type": "log"}]'``."""

    database: DatabaseSettings = DatabaseSettings(
        url=SecretStr("sqlite+aiosqlite:///./.kubeopt/notifier.db")
    )
    api: ApiSettings = ApiSettings(port=8704)
    channels: list[ChannelSettings] = Field(
        default_factory=lambda: [ChannelSettings(name="log", type="log")]
    )
    send_timeout_s: float = Field(default=10.0, gt=0, le=300)

    @field_validator("channels")
    @classmethod
    def _unique_channel_names(cls, channels: list[ChannelSettings]) -> list[ChannelSettings]:
        names = [c.name for c in channels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            msg = f"channel names must be unique; repeated: {', '.join(duplicates)}"
            raise ValueError(msg)
        return channels
