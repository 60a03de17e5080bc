from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubeopt_collector.domain.quantities import (
    format_cpu,
    format_memory,
    parse_cpu_millicores,
    parse_memory_bytes,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("text", "millicores"),
    [
        ("250m", 250),
        ("1", 1000),
        ("0.5", 500),
        ("1.5", 1500),
        (".1", 100),
        ("2", 2000),
        (2, 2000),
        (0.25, 250),
        ("0.0001", 1),  # rounds up to a whole millicore, like Kubernetes
        ("100u", 1),
        ("5e-1", 500),
        ("1k", 1_000_000),
    ],
)
def test_cpu_quantities(text: str | int | float, millicores: int) -> None:
    assert parse_cpu_millicores(text) == millicores


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("512Mi", 512 * 2**20),
        ("1Gi", 2**30),
        ("1G", 10**9),
        ("1.5Gi", 3 * 2**29),
        ("128974848", 128974848),
        ("129e6", 129_000_000),
        ("123Ki", 123 * 1024),
        ("1Ti", 2**40),
        ("100m", 1),  # a tenth of a byte rounds up
        (1024, 1024),
    ],
)
def test_memory_quantities(text: str | int, size: int) -> None:
    assert parse_memory_bytes(text) == size


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "invalid cpu quantity '': expected a number"),
        ("250x", "invalid cpu quantity '250x'"),
        ("1 Gi", "invalid cpu quantity '1 Gi'"),
        ("-1", "invalid cpu quantity '-1': must not be negative"),
        ("1e99999", "exponent 99999 is out of range"),
        ("Mi", "invalid cpu quantity 'Mi'"),
        ("nan", "invalid cpu quantity 'nan'"),
        ("1e3m", "invalid cpu quantity '1e3m'"),  # an exponent takes no suffix
    ],
)
def test_bad_cpu_quantities_name_the_value(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_cpu_millicores(text)


def test_memory_error_names_memory() -> None:
    with pytest.raises(ValueError, match="invalid memory quantity '12XB'"):
        parse_memory_bytes("12XB")


def test_boolean_is_not_a_quantity() -> None:
    with pytest.raises(ValueError, match="boolean"):
        parse_memory_bytes(True)


@given(st.integers(min_value=0, max_value=10**9))
def test_millicores_round_trip(millicores: int) -> None:
    assert parse_cpu_millicores(f"{millicores}m") == millicores
    assert parse_cpu_millicores(format_cpu(millicores)) == millicores


@given(st.integers(min_value=0, max_value=2**50), st.sampled_from(["Ki", "Mi", "Gi", ""]))
def test_binary_suffixes_multiply(number: int, suffix: str) -> None:
    factor = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}[suffix]
    assert parse_memory_bytes(f"{number}{suffix}") == number * factor


@given(st.integers(min_value=0, max_value=2**62))
def test_memory_format_round_trip(size: int) -> None:
    assert parse_memory_bytes(format_memory(size)) == size


@given(st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False))
def test_decimal_cores_are_exact(cores: Decimal) -> None:
    assert parse_cpu_millicores(str(cores)) == int(cores * 1000)


@given(st.text(max_size=12))
def test_any_text_is_a_non_negative_value_or_an_error_naming_it(text: str) -> None:
    try:
        outcome = f"value >= 0: {parse_quantity(text) >= 0}"
    except ValueError as err:
        outcome = str(err)
    assert outcome == "value >= 0: True" or outcome.startswith(f"invalid quantity {text.strip()!r}")
