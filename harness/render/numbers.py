"""How numbers are shown: fixed decimals, "-" for a value that does not exist.

The interval rule: an interval is printed with the decimals of the estimate it belongs
to, so `0.571 [0.000, 1.000]` never suggests more (or less) precision on one side.
Metrics use 3 decimals; deltas between runs use 4, since they are often small.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["DELTA_DIGITS", "METRIC_DIGITS", "estimate", "interval", "number", "p_value"]

METRIC_DIGITS = 3
DELTA_DIGITS = 4


class Estimate(Protocol):
    """A value with its interval (a `MetricValue`)."""

    @property
    def value(self) -> float | None: ...
    @property
    def ci_low(self) -> float | None: ...
    @property
    def ci_high(self) -> float | None: ...


def number(
    x: float | None, digits: int = METRIC_DIGITS, signed: bool = False, missing: str = "-"
) -> str:
    if x is None:
        return missing
    return f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"


def interval(
    low: float | None, high: float | None, digits: int = METRIC_DIGITS, signed: bool = False
) -> str:
    return f"[{number(low, digits, signed)}, {number(high, digits, signed)}]"


def estimate(value: Estimate | None, digits: int = METRIC_DIGITS) -> str:
    """`value [low, high]`, the value alone when it has no interval, "-" when undefined."""
    if value is None or value.value is None:
        return "-"
    if value.ci_low is None or value.ci_high is None:
        return number(value.value, digits)
    return f"{number(value.value, digits)} {interval(value.ci_low, value.ci_high, digits)}"


def p_value(p: float | None, digits: int = 4) -> str:
    """Fixed decimals, never scientific notation: `0.0123`, and `<0.0001` below what
    `digits` can show (a permutation p is at least 1/(resamples + 1) anyway)."""
    if p is None:
        return "-"
    floor = 10.0**-digits
    return f"<{floor:.{digits}f}" if p < floor else f"{p:.{digits}f}"
