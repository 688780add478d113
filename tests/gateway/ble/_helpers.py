"""Shared test helpers and hypothesis strategies for the BLE codec tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import strategies as st


def local(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> datetime:
    """A naive datetime: BLE Date Time is the device's wall clock, no time zone on the wire."""
    return datetime(year, month, day, hour, minute, second, microsecond)  # noqa: DTZ001


SFLOAT_SPECIAL_RAWS = (0x07FF, 0x0800, 0x07FE, 0x0802, 0x0801)
FLOAT_SPECIAL_RAWS = (0x007FFFFF, 0x00800000, 0x007FFFFE, 0x00800002, 0x00800001)
_SFLOAT_SPECIAL_MANTISSAS = frozenset({2047, -2048, 2046, -2046, -2047})
_FLOAT_SPECIAL_MANTISSAS = frozenset({2**23 - 1, -(2**23), 2**23 - 2, -(2**23 - 2), -(2**23 - 1)})


def _decimal_value(mantissa: int, exponent: int) -> float:
    return float(Decimal(mantissa).scaleb(exponent))


@st.composite
def sfloat_values(draw: st.DrawFn, scale_exponent: int = 0) -> float:
    """Numbers an SFLOAT can carry exactly (times 10^scale_exponent, for unit conversions)."""
    exponent = draw(st.integers(-8, 7))
    mantissa = draw(st.integers(-2048, 2047))
    if exponent == 0 and mantissa in _SFLOAT_SPECIAL_MANTISSAS:
        mantissa = 0
    return _decimal_value(mantissa, exponent + scale_exponent)


@st.composite
def float32_values(draw: st.DrawFn) -> float:
    """Numbers a 32-bit FLOAT can carry exactly."""
    exponent = draw(st.integers(-128, 127))
    mantissa = draw(st.integers(-(2**23), 2**23 - 1))
    if exponent == 0 and mantissa in _FLOAT_SPECIAL_MANTISSAS:
        mantissa = 0
    return _decimal_value(mantissa, exponent)


def optional_sfloat(scale_exponent: int = 0) -> st.SearchStrategy[float | None]:
    return st.one_of(st.none(), sfloat_values(scale_exponent))


# Date Time covers years 1582..9999 and whole seconds.
device_times: st.SearchStrategy[datetime] = st.datetimes(
    min_value=local(1582, 1, 1), max_value=local(9999, 12, 31, 23, 59, 59)
).map(lambda moment: moment.replace(microsecond=0))
optional_device_times = st.one_of(st.none(), device_times)
