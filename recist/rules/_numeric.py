"""Exact arithmetic helpers: thresholds and display rounding (spec §8).

Thresholds are compared on exact decimals, never on rounded or binary values;
:func:`pct` rounds for display only.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["fmt_mm", "fmt_pct", "is_pd", "is_pr", "pct", "pct_change"]


def pct(value: Decimal, reference: Decimal) -> Decimal | None:
    """Return ``100 (value - reference) / reference`` rounded to 0.1, half away from 0.

    The rounding is done on the exact rational value (R-15), so -14.25 becomes
    -14.3 and 32.2 vs 46.0 is exactly -30.0.

    Parameters
    ----------
    value, reference : Decimal
        In mm. *Permitted values:* >= 0.

    Returns
    -------
    Decimal or None
        None when ``reference`` is 0.

    Examples
    --------
    >>> pct(Decimal("34.2"), Decimal("39.9"))
    Decimal('-14.3')
    >>> pct(Decimal("32.2"), Decimal("46.0"))
    Decimal('-30.0')
    >>> pct(Decimal("5"), Decimal("0")) is None
    True
    """
    if reference == 0:
        return None
    a, b = value.as_integer_ratio()  # exact: value = a / b
    c, d = reference.as_integer_ratio()
    num = 1000 * (a * d - c * b)  # tenths of a percent = num / den, exactly
    den = c * b
    n = (2 * abs(num) + den) // (2 * den)  # round half away from zero
    return Decimal(-n if num < 0 else n).scaleb(-1)


def pct_change(value: Decimal, reference: Decimal) -> float | None:
    """Return the unrounded ``100 (value - reference) / reference`` as a float.

    For statistics (waterfall plots, ADaM PCHG), where the display rounding of
    :func:`pct` must not be applied; computed on the decimals, converted last.

    Examples
    --------
    >>> pct_change(Decimal("47"), Decimal("85"))
    -44.705882352941174
    >>> pct_change(Decimal("5"), Decimal("0")) is None
    True
    """
    if reference == 0:
        return None
    return float(100 * (value - reference) / reference)


def fmt_pct(value: Decimal | None) -> str:
    """Format a rounded percentage with its sign (``'+20.0%'``, ``'-34.4%'``)."""
    if value is None:
        return "n/a"
    return f"{value:+}%" if value != 0 else "0.0%"


def fmt_mm(value: Decimal | None) -> str:
    """Format a length as recorded (``'42.0'``; ``'n/a'`` for None)."""
    return "n/a" if value is None else f"{value}"


def is_pd(sum_mm: Decimal, nadir_mm: Decimal) -> bool:
    """RECIST PD test: at least +5 mm and +20 % over the nadir, both inclusive.

    Examples
    --------
    >>> is_pd(Decimal("17.4"), Decimal("12.4"))  # 4.999999999999998 in floats
    True
    >>> is_pd(Decimal("29.4"), Decimal("24.5"))  # +20 % but +4.9 mm
    False
    >>> is_pd(Decimal("32.4"), Decimal("27.0"))
    True
    >>> is_pd(Decimal("5"), Decimal("0"))
    True
    """
    return sum_mm - nadir_mm >= 5 and 5 * sum_mm >= 6 * nadir_mm


def is_pr(sum_mm: Decimal, baseline_mm: Decimal) -> bool:
    """RECIST PR test: at least 30 % below baseline, inclusive (``10 S <= 7 B``).

    Examples
    --------
    >>> is_pr(Decimal("32.2"), Decimal("46.0"))
    True
    >>> is_pr(Decimal("35.1"), Decimal("50"))
    False
    """
    return 10 * sum_mm <= 7 * baseline_mm
