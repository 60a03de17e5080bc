"""Validation of a channel's ``params`` into its own typed model, with one-line errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, JsonValue, ValidationError

from kubeopt_notifier.errors import ChannelConfigError

P = TypeVar("P", bound=BaseModel)


def parse_params(
    model: type[P], *, name: str, channel_type: str, params: Mapping[str, JsonValue]
) -> P:
    """``params`` validated by ``model``; a :class:`ChannelConfigError` names the bad param."""
    try:
        return model.model_validate(dict(params))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        msg = f"channel {name!r} (type {channel_type}): params.{where}: {first['msg']}"
        raise ChannelConfigError(msg, field=f"params.{where}") from err
