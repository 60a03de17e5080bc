"""Settings of the notifier service (env prefix ``KUBEOPT_``, nesting with ``__``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, JsonValue, SecretStr, field_validator

from kubeopt_common.settings import ApiSettings, DatabaseSettings, ServiceSettings
from kubeopt_notifier.domain.delivery import RetryPolicy
from kubeopt_notifier.domain.routing import DEFAULT_ROOT, RouteConfig, RouteConfigError, resolve

CHANNEL_NAME_PATTERN = r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$"


class ChannelSettings(BaseModel):
    """One destination: ``type`` names a ``kubeopt.channels`` plugin, ``params`` configure it.

    Params may hold secrets (webhook URLs, signing keys); the API lists only their names.
    Channels given here are (re)written to the channel table at start: settings win over API
    edits of the same name.
    """

    name: str = Field(pattern=CHANNEL_NAME_PATTERN)
    type: str = Field(min_length=1, max_length=63)
    enabled: bool = True
    params: dict[str, JsonValue] = Field(default_factory=dict)


class RetrySettings(BaseModel):
    """Exponential backoff with ±``jitter`` between attempts; ``Retry-After`` wins."""

    initial_s: float = Field(default=1.0, gt=0)
    multiplier: float = Field(default=2.0, ge=1)
    max_s: float = Field(default=300.0, gt=0)
    jitter: float = Field(default=0.5, ge=0, lt=1)
    max_attempts: int = Field(default=10, ge=1, le=100)
    max_retry_after_s: float = Field(default=3600.0, gt=0)

    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            initial_s=self.initial_s,
            multiplier=self.multiplier,
            max_s=self.max_s,
            jitter=self.jitter,
            max_attempts=self.max_attempts,
            max_retry_after_s=self.max_retry_after_s,
        )


class NotifierSettings(ServiceSettings):
    """E.g. ``KUBEOPT_CHANNELS='[{"name": "ops", "type": "log"}]'``, ``KUBEOPT_ROUTE='{…}'``.

    ``tick_s`` bounds how late a group or a retry can be noticed (work is also woken up
    directly when it arrives); ``send_timeout_s`` is the default per-attempt timeout.
    """

    database: DatabaseSettings = DatabaseSettings(
        url=SecretStr("sqlite+aiosqlite:///./.kubeopt/notifier.db")
    )
    api: ApiSettings = ApiSettings(port=8704)
    channels: list[ChannelSettings] = Field(
        default_factory=lambda: [ChannelSettings(name="log", type="log")]
    )
    route: RouteConfig = DEFAULT_ROOT
    retry: RetrySettings = RetrySettings()
    send_timeout_s: float = Field(default=15.0, gt=0, le=300)
    tick_s: float = Field(default=1.0, gt=0, le=60)

    @field_validator("channels")
    @classmethod
    def _unique_channel_names(cls, channels: list[ChannelSettings]) -> list[ChannelSettings]:
        names = [c.name for c in channels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            msg = f"channel names must be unique; repeated: {', '.join(duplicates)}"
            raise ValueError(msg)
        return channels

    @field_validator("route")
    @classmethod
    def _resolvable(cls, route: RouteConfig) -> RouteConfig:
        try:
            resolve(route)
        except RouteConfigError as err:
            raise ValueError(str(err)) from err
        return route
