"""Adjudication triggers of a trial's charter: when two reads must be adjudicated.

Pure functions over :class:`ReadOutcome` (what the engine derived from a read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from recist.model import Assessment
from recist.terms import Response

__all__ = [
    "PROGRESSION",
    "Charter",
    "ReadOutcome",
    "adjudication_triggers",
    "outcome_of",
]

#: Overall responses that date a progression: RECIST PD; iRECIST iUPD (the
#: first, unconfirmed progression, whose date iCPD confirms) and iCPD.
PROGRESSION = frozenset({Response.PD, Response.IUPD, Response.ICPD})


@dataclass(frozen=True, slots=True, kw_only=True)
class Charter:
    """Adjudication settings of the trial's charter.

    Parameters
    ----------
    bor : bool
        Adjudicate when the best overall responses differ (default True).
    pd_days : int
        Adjudicate when the dates of first progression differ by more than this
        many days, or only one read has a progression (default 0: any
        difference). *Permitted values:* >= 0.
    target_selection : bool
        Adjudicate when the target lesions differ in number or organs (default
        False).
    """

    bor: bool = True
    pd_days: int = 0
    target_selection: bool = False

    def __post_init__(self) -> None:
        from recist.store._errors import StoreInputError

        if isinstance(self.pd_days, bool) or self.pd_days < 0:
            raise StoreInputError(f"pd_days must be >= 0, got {self.pd_days!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return the charter as stored (JSON)."""
        return {
            "bor": self.bor,
            "pd_days": self.pd_days,
            "target_selection": self.target_selection,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Charter:
        """Read the stored charter."""
        return cls(
            bor=bool(doc.get("bor", True)),
            pd_days=int(doc.get("pd_days", 0)),
            target_selection=bool(doc.get("target_selection", False)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadOutcome:
    """What adjudication compares: BOR, date of first progression, target organs."""

    bor: str
    first_pd: dt.date | None
    target_organs: tuple[str, ...]


def outcome_of(assessment: Assessment) -> ReadOutcome:
    """Return the :class:`ReadOutcome` of an engine assessment.

    ``target_organs`` is the sorted list of the targets' organs (nodes are one
    organ, as for the two-per-organ rule), so two readers who chose the same
    lesions under different ids agree.
    """
    first_pd = next(
        (tp.date for tp in assessment.timepoints if tp.overall.value in PROGRESSION),
        None,
    )
    organs = tuple(sorted(t.organ for t in assessment.reading.baseline.targets))
    return ReadOutcome(
        bor=assessment.best_overall_response.value.value,
        first_pd=first_pd,
        target_organs=organs,
    )


def adjudication_triggers(
    one: ReadOutcome, two: ReadOutcome, charter: Charter
) -> list[str]:
    """List why two complete reads need adjudication (empty: they agree).

    Examples
    --------
    >>> a = ReadOutcome(bor="PR", first_pd=None, target_organs=("liver",))
    >>> b = ReadOutcome(bor="SD", first_pd=dt.date(2026, 3, 30),
    ...                 target_organs=("liver",))
    >>> adjudication_triggers(a, b, Charter())
    ['BOR differs: PR vs SD', 'first PD differs: none vs 2026-03-30']
    >>> adjudication_triggers(a, a, Charter())
    []
    """
    out: list[str] = []
    if charter.bor and one.bor != two.bor:
        out.append(f"BOR differs: {one.bor} vs {two.bor}")
    p1, p2 = one.first_pd, two.first_pd
    if (p1 is None) != (p2 is None):
        out.append(f"first PD differs: {p1 or 'none'} vs {p2 or 'none'}")
    elif p1 is not None and p2 is not None:
        days = abs((p1 - p2).days)
        if days > charter.pd_days:
            out.append(
                f"first PD differs by {days} days ({p1} vs {p2}; "
                f"charter allows {charter.pd_days})"
            )
    if charter.target_selection and one.target_organs != two.target_organs:
        out.append(
            "target selection differs: "
            f"{', '.join(one.target_organs) or 'none'} vs "
            f"{', '.join(two.target_organs) or 'none'}"
        )
    return out
