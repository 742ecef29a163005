"""The protocol's visit schedule (``--schedule schedule.csv``).

A CSV (or XPT) with one row per planned imaging visit:

==========  =====================================================
VISITNUM    visit number (``1``, ``2``, ... may be decimal)
VISIT       visit name (``SCREENING``, ``WEEK 6``...)
VISITDY     planned study day (day 1 = DM ``RFSTDTC``; no day 0)
WINDOW      allowed days either side of ``VISITDY`` (>= 0)
==========  =====================================================

It names each assessment's visit for SDTM/ADaM (:meth:`VisitSchedule.label`)
and counts the planned visits missed between two dates for the time-to-event
censoring rule (:meth:`VisitSchedule.missed_between`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from recist.errors import InvalidInputError

__all__ = ["ScheduledVisit", "VisitSchedule", "read_schedule", "study_day"]


def study_day(date: dt.date, reference: dt.date) -> int:
    """SDTM study day: day 1 is ``reference``; the day before is -1 (no day 0).

    Examples
    --------
    >>> d = dt.date
    >>> [study_day(d(2026, 1, x), d(2026, 1, 5)) for x in (3, 4, 5, 6)]
    [-2, -1, 1, 2]
    """
    delta = (date - reference).days
    return delta + 1 if delta >= 0 else delta


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledVisit:
    """One planned visit: number, name, planned study day and window (days)."""

    visitnum: Decimal
    visit: str
    day: int
    window: int

    def contains(self, day: int) -> bool:
        """Return True when study day ``day`` lies in the visit's window."""
        return abs(_gap(day, self.day)) <= self.window


def _gap(a: int, b: int) -> int:
    """Days from study day ``b`` to ``a`` (there is no day 0)."""
    shift = (a > 0) - (b > 0)  # crossing day 0 skips one
    return a - b - shift


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitLabel:
    """A visit as SDTM names it (``visitnum``, ``visit``, ``dtc``)."""

    visitnum: Decimal | None
    visit: str
    dtc: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitSchedule:
    """The planned visits, in VISITNUM order."""

    visits: tuple[ScheduledVisit, ...]
    source: str = ""

    def label(
        self, dates: Sequence[dt.date], reference: dt.date
    ) -> tuple[VisitLabel, ...]:
        """Name assessments (dates in order) by the schedule.

        Notes
        -----
        1. Each date takes the planned visit, not yet used by this subject,
           whose window holds its study day (the nearest planned day first).
        2. Otherwise it is unscheduled, numbered as SDTM does: the last
           scheduled VISITNUM before it plus .01, .02... (``VISIT =
           "UNSCHEDULED 2.01"``).

        Examples
        --------
        >>> s = VisitSchedule(visits=(
        ...     ScheduledVisit(visitnum=Decimal(1), visit="BASELINE", day=-7, window=7),
        ...     ScheduledVisit(visitnum=Decimal(2), visit="WEEK 6", day=43, window=7)))
        >>> d = dt.date
        >>> [(v.visit, str(v.visitnum)) for v in s.label(
        ...     [d(2026, 1, 1), d(2026, 2, 14), d(2026, 3, 1)], d(2026, 1, 5))]
        [('BASELINE', '1'), ('WEEK 6', '2'), ('UNSCHEDULED 2.01', '2.01')]
        """
        used: set[Decimal] = set()
        out: list[VisitLabel] = []
        last = Decimal(0)
        extra = 0
        for date in dates:
            day = study_day(date, reference)
            fits = [
                v for v in self.visits if v.visitnum not in used and v.contains(day)
            ]
            if fits:
                v = min(fits, key=lambda v: (abs(_gap(day, v.day)), v.visitnum))
                used.add(v.visitnum)
                last, extra = v.visitnum, 0
                out.append(VisitLabel(visitnum=v.visitnum, visit=v.visit))
                continue
            extra += 1
            num = last + Decimal(extra) / 100
            out.append(VisitLabel(visitnum=num, visit=f"UNSCHEDULED {num}"))
        return tuple(out)

    def missed_between(
        self, after: dt.date, before: dt.date, reference: dt.date
    ) -> int:
        """Count planned visits whose whole window lies between two dates.

        The window must lie after ``after`` and before ``before`` (study days
        from ``reference``).
        """
        a, b = study_day(after, reference), study_day(before, reference)
        return sum(
            1
            for v in self.visits
            if _gap(v.day, a) > v.window and _gap(b, v.day) > v.window
        )


def read_schedule(path: str | Path) -> VisitSchedule:
    """Read a schedule file (columns VISITNUM, VISIT, VISITDY, WINDOW).

    Raises
    ------
    InvalidInputError
        Missing file or column, a value that is not a number, a negative window
        or a VISITNUM given twice.
    """
    from recist.formats._sdtm_io import read_table

    table = read_table(path)
    need = ("VISITNUM", "VISIT", "VISITDY", "WINDOW")
    if not table or any(c not in table[0] for c in need):
        msg = f"{path}: a schedule needs columns {', '.join(need)} and a row per visit"
        raise InvalidInputError(msg, location=str(path))
    visits: list[ScheduledVisit] = []
    for i, row in enumerate(table, start=2):
        try:
            num = Decimal(row["VISITNUM"])
            day = int(Decimal(row["VISITDY"]))
            window = int(Decimal(row["WINDOW"]))
        except (InvalidOperation, ValueError):
            msg = f"{path}: line {i}: VISITNUM, VISITDY and WINDOW must be numbers"
            raise InvalidInputError(msg, location=f"{path}:{i}") from None
        if window < 0 or day == 0 or not num.is_finite():
            msg = f"{path}: line {i}: WINDOW must be >= 0 and VISITDY not 0"
            raise InvalidInputError(msg, location=f"{path}:{i}")
        visits.append(
            ScheduledVisit(visitnum=num, visit=row["VISIT"], day=day, window=window)
        )
    nums = [v.visitnum for v in visits]
    if len(set(nums)) != len(nums):
        raise InvalidInputError(f"{path}: a VISITNUM is given twice")
    return VisitSchedule(
        visits=tuple(sorted(visits, key=lambda v: v.visitnum)), source=str(path)
    )
