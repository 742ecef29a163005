"""Subject-level data (SDTM DM, ADaM ADSL) for the efficacy summary and exports.

A DM or ADSL dataset (CSV, XPT or SAS7BDAT, read by
:func:`recist.formats._sdtm_io.read_table`) becomes one :class:`SubjectData`
per ``USUBJID``: its variables as text, plus the dates the analyses use, read
by the CDISC names that carry them.  Given both, ADSL's value wins for a
variable both hold (ADSL is derived from DM).

Dates
-----
1. First dose: ``RFXSTDTC`` (DM), else ``TRTSDT`` (ADSL), else ``RFSTDTC``.
2. Reference start (SDTM study day 1): ``RFSTDTC``, else ``TRTSDT``.
3. Randomisation: ``RANDDT`` (ADSL), else ``RFICDTC`` is *not* used (consent
   is not randomisation): none.
4. Death: ``DTHDTC`` (DM) or ``DTHDT`` (ADSL); ``DTHFL = Y`` without a date
   is reported, not guessed.

Only full dates (``YYYY-MM-DD``, a time part is dropped) count; a partial date
(``2014-03``) is reported as not usable rather than imputed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from recist.errors import InvalidInputError

__all__ = [
    "ANALYSIS_SETS",
    "SubjectData",
    "parse_date",
    "read_subject_data",
]

#: Analysis-set flag variables recognised by ``--population`` (ADSL names).
ANALYSIS_SETS: dict[str, str] = {
    "SAFFL": "Safety population",
    "ITTFL": "Intent-to-treat population",
    "FASFL": "Full analysis set",
    "EFFFL": "Efficacy (response-evaluable) population",
    "RANDFL": "Randomised population",
    "PPROTFL": "Per-protocol population",
}

_FIRST_DOSE = ("RFXSTDTC", "TRTSDT", "RFSTDTC")
_REFERENCE = ("RFSTDTC", "TRTSDT")
_RANDOMISATION = ("RANDDT",)
_DEATH = ("DTHDTC", "DTHDT")


def parse_date(text: str) -> dt.date | None:
    """Return the date of an ISO 8601 value, or None when it has no full date.

    Examples
    --------
    >>> parse_date("2014-01-02T10:30"), parse_date("2014-01"), parse_date("")
    (datetime.date(2014, 1, 2), None, None)
    """
    text = text.strip()
    if len(text) < 10:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectData:
    """One subject's DM/ADSL variables (text, upper-case names).

    Parameters
    ----------
    usubjid : str
    variables : Mapping[str, str]
        Every variable of the record(s), e.g. ``ARM``, ``DTHFL``, ``EFFFL``.
    source : str
        Where the values came from (file names, or ``"reading"``).
    """

    usubjid: str
    variables: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", MappingProxyType(dict(self.variables)))

    def get(self, name: str) -> str:
        """Return a variable as text (``""`` when absent)."""
        return self.variables.get(name.upper(), "")

    def _first_date(self, names: tuple[str, ...]) -> tuple[dt.date | None, str]:
        for name in names:
            value = self.get(name)
            if value:
                return parse_date(value), name
        return None, ""

    @property
    def first_dose(self) -> dt.date | None:
        """Date of first dose (``RFXSTDTC``, ``TRTSDT``, then ``RFSTDTC``)."""
        return self._first_date(_FIRST_DOSE)[0]

    @property
    def reference_start(self) -> dt.date | None:
        """SDTM study day 1 (``RFSTDTC``, else ``TRTSDT``)."""
        return self._first_date(_REFERENCE)[0]

    @property
    def randomisation(self) -> dt.date | None:
        """Date of randomisation (ADSL ``RANDDT``)."""
        return self._first_date(_RANDOMISATION)[0]

    @property
    def death(self) -> dt.date | None:
        """Date of death (``DTHDTC`` / ``DTHDT``)."""
        return self._first_date(_DEATH)[0]

    @property
    def died_undated(self) -> bool:
        """``DTHFL = Y`` but no full death date."""
        return self.get("DTHFL") == "Y" and self.death is None

    def flag(self, name: str) -> bool:
        """Return True when the flag variable ``name`` is ``Y``."""
        return self.get(name) == "Y"

    def merged(self, other: Mapping[str, str], source: str) -> SubjectData:
        """Return a copy with ``other``'s non-empty values added (they win)."""
        values = dict(self.variables)
        values.update({k.upper(): v for k, v in other.items() if v != ""})
        src = f"{self.source}+{source}" if self.source else source
        return SubjectData(usubjid=self.usubjid, variables=values, source=src)


def _read(path: str | Path, what: str) -> dict[str, dict[str, str]]:
    from recist.formats._sdtm_io import read_table

    table = read_table(path)
    if not table:
        raise InvalidInputError(f"{path}: the {what} dataset has no records")
    if "USUBJID" not in table[0]:
        raise InvalidInputError(f"{path}: not a {what} dataset, no USUBJID")
    out: dict[str, dict[str, str]] = {}
    for row in table:
        u = row["USUBJID"]
        if not u:
            continue
        if u in out:
            msg = f"{path}: USUBJID {u!r} has two records; {what} has one per subject"
            raise InvalidInputError(msg, location=str(path))
        out[u] = row
    return out


def read_subject_data(
    *, dm: str | Path | None = None, adsl: str | Path | None = None
) -> dict[str, SubjectData]:
    """Read DM and/or ADSL into one :class:`SubjectData` per USUBJID.

    Parameters
    ----------
    dm, adsl : path, optional
        CSV, XPT or SAS7BDAT files.

    Returns
    -------
    dict of str to SubjectData
        Subjects of either file; ADSL values win where both have a variable.

    Raises
    ------
    InvalidInputError
        A file that is missing, unreadable, without records or ``USUBJID``, or
        with a subject twice.
    """
    subjects: dict[str, SubjectData] = {}
    for path, what in ((dm, "DM"), (adsl, "ADSL")):
        if path is None:
            continue
        for u, row in _read(path, what).items():
            base = subjects.get(u, SubjectData(usubjid=u))
            subjects[u] = base.merged(row, Path(path).name)
    return subjects
