"""ADaM ADTTE records (PFS and DOR) from the efficacy summary's subjects.

One record per subject and parameter, as the pharmaverse ``adtte_onco``
example: ``AVAL`` in days (``ADT - STARTDT + 1``), ``CNSR`` 0 for an event and
1 when censored, ``EVNTDESC`` what happened, ``CNSDTDSC`` the censoring reason
(censored records only), ``SRCDOM``/``SRCVAR`` the record that dates ``ADT``.
The derivation is :mod:`recist.report.tte`'s (the SAP rules, stated there).

Parameters: ``PFS`` "Progression Free Survival" and ``DOR`` "Duration of
Response" (responders only; from the first confirmed CR/PR when
``confirmed``); iRECIST readings give ``IPFS``/``IDOR`` (event: iCPD dated at
the iUPD it confirms).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recist.report._stats import TimeToEvent
    from recist.report.summary import SubjectOutcome
    from recist.report.tte import TteRules

__all__ = ["ADTTE_COLUMNS", "ADTTE_LABELS", "to_adtte"]

ADTTE_COLUMNS: tuple[str, ...] = (
    "STUDYID", "USUBJID", "ARM", "ACTARM", "TRT01P", "TRT01A", "SAFFL", "ASEQ",
    "PARAMCD", "PARAM", "AVAL", "STARTDT", "ADT", "CNSR", "EVNTDESC", "CNSDTDSC",
    "SRCDOM", "SRCVAR",
)  # fmt: skip

ADTTE_LABELS: dict[str, str] = {
    "AVAL": "Analysis Value",
    "STARTDT": "Time to Event Origin Date for Subject",
    "CNSR": "Censor",
    "EVNTDESC": "Event or Censoring Description",
    "CNSDTDSC": "Censor Date Description",
    "SRCDOM": "Source Data",
    "SRCVAR": "Source Variable",
}

_SOURCES = {
    "RS OVRLRESP": ("ADRS", "ADT"),
    "DM DTHDTC": ("ADSL", "DTHDT"),
    "origin": ("ADSL", "TRTSDT"),
}


def _record(
    studyid: str,
    s: SubjectOutcome,
    code: str,
    param: str,
    t: TimeToEvent,
    adsl: dict[str, Any],
) -> dict[str, Any]:
    dom, var = _SOURCES.get(t.source, ("", ""))
    return {
        "STUDYID": studyid,
        "USUBJID": s.subject_id,
        **adsl,
        "PARAMCD": code,
        "PARAM": param,
        "AVAL": float(t.aval),
        "STARTDT": t.start.isoformat(),
        "ADT": t.end.isoformat(),
        "CNSR": 0 if t.event else 1,
        "EVNTDESC": t.description,
        "CNSDTDSC": "" if t.event else t.description,
        "SRCDOM": dom,
        "SRCVAR": var,
    }


def to_adtte(
    subjects: Iterable[SubjectOutcome],
    *,
    studyid: str,
    rules: TteRules,
    confirmed: bool = True,
    flags: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Build ADTTE records (PFS for every subject, DOR for responders).

    Parameters
    ----------
    subjects : iterable of SubjectOutcome
        One per subject and criteria.
    studyid : str
    rules : TteRules
        The SAP rules.
    confirmed : bool, default True
        DOR of the confirmed (or unconfirmed) BOR.
    flags : sequence of str
        Analysis-set flag columns to fill from DM/ADSL.

    Returns
    -------
    list of dict
        ``ADTTE_COLUMNS`` (plus ``flags``), ``ASEQ`` numbered per subject.
    """
    from recist.export.adam import _adsl

    out: list[dict[str, Any]] = []
    for s in subjects:
        prefix = "I" if s.criteria == "iRECIST" else ""
        what = " (iRECIST)" if prefix else ""
        adsl = _adsl(s.data, flags)
        pfs = s.pfs(rules)
        if pfs is not None:
            out.append(
                _record(
                    studyid,
                    s,
                    f"{prefix}PFS",
                    f"Progression Free Survival{what}",
                    pfs,
                    adsl,
                )
            )
        dor = s.duration_of_response(confirmed=confirmed, rules=rules)
        if dor is not None:
            out.append(
                _record(
                    studyid,
                    s,
                    f"{prefix}DOR",
                    f"Duration of Response{what}",
                    dor,
                    adsl,
                )
            )
    seq: dict[str, int] = {}
    for row in out:
        seq[row["USUBJID"]] = seq.get(row["USUBJID"], 0) + 1
        row["ASEQ"] = seq[row["USUBJID"]]
    return out
