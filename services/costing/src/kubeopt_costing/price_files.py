"""Shared plumbing of the price files: strict models, exact decimals, located errors.

A file that fails validation stops the service with one line naming file, line and field:
``<file>:<line>: <field.path>: <reason>``.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from kubeopt_common.yamlfile import YamlFileError, load_yaml_model

Usd = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=9)]
Name = Annotated[str, StringConstraints(min_length=1)]
M = TypeVar("M", bound=BaseModel)


def no_float(value: object) -> object:
    # YAML floats go through their text so that 1.1 means 11/10, not its binary expansion.
    return str(value) if isinstance(value, float) else value


Ratio = Annotated[Fraction, BeforeValidator(no_float), Field(gt=0)]


class CatalogError(ValueError):
    pass


def invalid(loc: tuple[str | int, ...], message: str, value: object = None) -> ValidationError:
    """A validation error located at ``loc`` (relative to the model raising it)."""
    error = PydanticCustomError("invalid", message)
    details = InitErrorDetails(type=error, loc=loc, input=value)
    return ValidationError.from_exception_data("price file", [details])


class StrictModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def load_price_file(path: Path, model: type[M]) -> M:
    try:
        return load_yaml_model(path, model)
    except YamlFileError as err:
        raise CatalogError(str(err)) from err
