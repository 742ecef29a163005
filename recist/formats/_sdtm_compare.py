"""Derive SDTM readings with the engine and compare them with the recorded RS.

The comparison is per visit and per response test (``TRGRESP``, ``NTRGRESP``,
``NEWLPROG``, ``OVRLRESP``); every disagreement gets a cause from
:data:`CAUSES`, decided from the derived numbers, never from the recorded text
alone.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from recist.errors import RecistError, RuleViolation
from recist.formats._sdtm_case import Evaluator, SdtmReading
from recist.formats._sdtm_io import Table

__all__ = [
    "CAUSES",
    "Agreement",
    "DerivedReading",
    "VisitComparison",
    "compare_with_rs",
    "derive_reading",
    "summarize",
]

log = logging.getLogger(__name__)

#: RS test codes compared, in the order a disagreement is explained.
RESPONSE_TESTS = ("TRGRESP", "NTRGRESP", "NEWLPROG", "OVRLRESP")
#: Added for readings whose ``RSCAT`` is iRECIST.
IRECIST_TESTS = ("NEWLIND",)

#: Why a derived response differs from the recorded one (see :func:`classify`).
CAUSES: dict[str, str] = {
    "READING_REJECTED": "the engine rejects the reading (baseline rule broken)",
    "INPUT_ERROR": "the SDTM records of the reading could not be converted",
    "PD_FROM_NADIR": (
        "target PD measured from the nadir (+20 % and +5 mm); the record is not PD, "
        "the sum being under +20 % of baseline"
    ),
    "PD_WITHOUT_5MM": "recorded PD is +20 % over the nadir but less than +5 mm",
    "MISSING_TARGET": "a target is not evaluated (derived NE); the record is not NE",
    "NODAL_CR": "non-nodal targets gone and nodes < 10 mm: CR; the record is not CR",
    "NOT_A_RESPONSE": "the recorded value is not a response term",
    "NON_TARGET": "non-target response differs",
    "NEW_LESION": "new-lesion assessment differs",
    "FOLLOWS_COMPONENT": "overall response follows a target/non-target difference",
    "OVERALL_TABLE": "components agree but the overall response differs",
    "NO_DERIVATION": "the visit is recorded in RS but has no assessment in TR",
    "UNEXPLAINED": "no rule explains it",
}

_TERMS = {
    "CR",
    "PR",
    "SD",
    "PD",
    "NE",
    "NA",
    "NON-CR/NON-PD",
    "Y",
    "N",
    "EQUIVOCAL",
    "iCR",
    "iPR",
    "iSD",
    "iUPD",
    "iCPD",
    "NON-iCR/NON-iUPD",
}

Assess = Callable[[dict[str, Any]], dict[str, Any]]
Explain = Callable[[dict[str, Any]], dict[str, dict[str, str]]]


@dataclass(frozen=True, slots=True, kw_only=True)
class DerivedReading:
    """A reading with the engine's output (case format ``expected`` shape).

    Attributes
    ----------
    reading : SdtmReading
        What was derived.
    output : dict
        ``assess_json(reading.case)``: ``timepoints``... or ``{"error": ...}``.
    reasons : dict
        Per ISO date, per RS test code, the engine's one-line reason (empty when
        the engine gives none); for a rejected reading ``{"error": {"reason": ...}}``.
    """

    reading: SdtmReading
    output: dict[str, Any]
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        """``CODE (lesion X)`` of a rejected reading, the input error, or ``None``."""
        if self.reading.input_error is not None:
            return f"INPUT_ERROR: {self.reading.input_error}"
        err = self.output.get("error")
        if not err:
            return None
        lesion = err.get("lesion")
        text = f"{err.get('code')}" + (f" (lesion {lesion})" if lesion else "")
        why = self.reasons.get("error", {}).get("reason")
        return f"{text}: {why}" if why else text

    def timepoint(self, date: str) -> dict[str, Any] | None:
        """Return the output time point of ISO ``date``, or ``None``."""
        for point in self.output.get("timepoints", []):
            if str(point.get("date")) == date:
                return dict(point)
        return None


def _default_engine() -> tuple[Assess, Explain | None]:
    from recist.formats.case import assess_json

    explain: Explain | None
    try:
        explain = _explainer()
    except (ImportError, AttributeError):  # the engine has no reasons API
        explain = None
    return assess_json, explain


def _explainer() -> Explain:
    """Return a function giving the engine's reasons per date and RS test code."""
    from recist.assessment import assess
    from recist.formats.case import load_case

    def explain(case: dict[str, Any]) -> dict[str, dict[str, str]]:
        result = assess(load_case(case))
        reasons: dict[str, dict[str, str]] = {}
        for point in result.timepoints:
            entry: dict[str, str] = {}
            for test, attr in (
                ("TRGRESP", "target"),
                ("NTRGRESP", "non_target"),
                ("NEWLPROG", "new_lesions"),
                ("OVRLRESP", "overall"),
            ):
                assessed = getattr(point, attr, None)
                reason = getattr(assessed, "reason", None)
                if reason:
                    entry[test] = str(reason)
            reasons[str(point.date)] = entry
        return reasons

    return explain


def derive_reading(
    reading: SdtmReading,
    *,
    assess: Assess | None = None,
    explain: Explain | None = None,
) -> DerivedReading:
    """Derive one reading with the engine.

    Parameters
    ----------
    reading : SdtmReading
        From :func:`readings_from_sdtm`.
    assess : callable, optional
        ``case dict -> output dict``; default :func:`recist.formats.case.assess_json`.
    explain : callable, optional
        ``case dict -> {date: {test: reason}}``; default: the engine's reasons
        where it has them.

    Returns
    -------
    DerivedReading
        With ``output = {"error": ...}`` when the engine rejects the reading.
    """
    if assess is None:
        assess, default_explain = _default_engine()
        explain = explain or default_explain
    if reading.case is None:
        return DerivedReading(reading=reading, output={})
    try:
        output = assess(reading.case)
    except RecistError as exc:  # invalid values the case format cannot hold
        code = getattr(exc, "code", type(exc).__name__)
        return DerivedReading(
            reading=reading,
            output={"error": {"code": code, "lesion": getattr(exc, "lesion", None)}},
        )
    reasons: dict[str, dict[str, str]] = {}
    if explain is not None:
        try:
            reasons = explain(reading.case)
        except RuleViolation as exc:  # the rejection, with the engine's message
            reasons = {"error": {"reason": f"{exc} ({exc.rule})"}}
        except RecistError as exc:  # pragma: no cover - assess_json accepted it
            log.debug("no reasons for %s: %s", reading.case.get("id"), exc)
    return DerivedReading(reading=reading, output=output, reasons=reasons)


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitComparison:
    """One visit of one reading: derived and (where RS has them) recorded responses.

    Attributes
    ----------
    usubjid, evaluator, criteria
        Whose reading.
    visitnum, visit, date
        ``VISITNUM``, ``VISIT`` and the ISO date the engine used (``RSDTC`` for a
        visit only in RS).
    derived : dict
        RS test code -> derived value (``None`` for a rejected reading).
    recorded : dict
        RS test code -> ``RSSTRESC`` (else ``RSORRES``) for the tests RS has.
    reasons : dict
        RS test code -> the engine's reason.
    facts : dict
        Numbers used to explain: ``sum_mm``, ``pct_from_baseline``,
        ``pct_from_nadir``, ``not_evaluated`` (target ids), ``recorded_sum_mm``.
    accepted : bool
        ``RSACPTFL = Y`` on the recorded overall response.
    error : str or None
        Why the reading has no derivation.
    """

    usubjid: str
    evaluator: Evaluator
    criteria: str
    visitnum: Decimal | None
    visit: str
    date: str
    derived: dict[str, str | None]
    recorded: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    accepted: bool = False
    error: str | None = None

    @property
    def mismatches(self) -> tuple[str, ...]:
        """Return the recorded tests whose derived value differs, in test order."""
        return tuple(
            test
            for test in (*RESPONSE_TESTS, *IRECIST_TESTS)
            if test in self.recorded
            and _normal(test, self.recorded[test]) != self.derived.get(test)
        )

    @property
    def agree(self) -> bool | None:
        """``None`` without a record, else whether every recorded test agrees."""
        if not self.recorded:
            return None
        return not self.mismatches

    @property
    def cause(self) -> str | None:
        """The :data:`CAUSES` key of a disagreement (``None`` when they agree)."""
        return classify(self)

    def explanation(self) -> str:
        """Return one line: the cause, then derived vs recorded and reason per test."""
        if self.agree is not False:
            return ""
        parts = []
        for test in self.mismatches:
            derived = self.derived.get(test)
            line = f"{test} derived {derived or '-'}, recorded {self.recorded[test]}"
            if test in self.reasons:
                line += f" ({self.reasons[test]})"
            parts.append(line)
        cause = self.cause or "UNEXPLAINED"
        head = f"[{cause}] {CAUSES[cause]}"
        if self.error:
            head += f": {self.error}"
        return head + "; " + "; ".join(parts)


def _normal(test: str, value: str) -> str:
    """Return a recorded value in the engine's terms (NEWLPROG UNEQUIVOCAL: Y)."""
    if test == "NEWLPROG" and value.upper() == "UNEQUIVOCAL":
        return "Y"
    return value


def _pct(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def classify(item: VisitComparison) -> str | None:
    """Name the cause of a disagreement (a key of :data:`CAUSES`).

    Parameters
    ----------
    item : VisitComparison
        A compared visit.

    Returns
    -------
    str or None
        ``None`` when derived and recorded agree or nothing is recorded.

    Notes
    -----
    The first differing test in the order TRGRESP, NTRGRESP, NEWLPROG, OVRLRESP
    decides:

    1. A reading without derivation: ``INPUT_ERROR`` or ``READING_REJECTED``; a
       visit only in RS: ``NO_DERIVATION``.
    2. A recorded value that is no response term: ``NOT_A_RESPONSE``.
    3. TRGRESP derived PD, recorded other, change from baseline < +20 %:
       ``PD_FROM_NADIR``. Derived NE with a target not evaluated: ``MISSING_TARGET``.
       Derived CR, recorded PR/SD: ``NODAL_CR``. Recorded PD, derived not PD with
       the sum +20 % over the nadir: ``PD_WITHOUT_5MM``.
    4. NTRGRESP: ``NON_TARGET``; NEWLPROG: ``NEW_LESION``.
    5. OVRLRESP alone: ``FOLLOWS_COMPONENT`` when a component differs for a test
       RS does not record, else ``OVERALL_TABLE``.
    """
    if item.agree is not False:
        return None
    if item.error is not None:
        if item.error.startswith("INPUT_ERROR"):
            return "INPUT_ERROR"
        return "READING_REJECTED"
    if not item.derived:
        return "NO_DERIVATION"
    first = item.mismatches[0]
    recorded = _normal(first, item.recorded[first])
    derived = item.derived.get(first)
    if recorded not in _TERMS:
        return "NOT_A_RESPONSE"
    if first == "TRGRESP":
        from_baseline = _pct(item.facts.get("pct_from_baseline"))
        from_nadir = _pct(item.facts.get("pct_from_nadir"))
        if derived == "PD" and from_baseline is not None and from_baseline < 20:
            return "PD_FROM_NADIR"
        if derived == "NE" and item.facts.get("not_evaluated"):
            return "MISSING_TARGET"
        if derived == "CR" and recorded in ("PR", "SD"):
            return "NODAL_CR"
        if recorded == "PD" and from_nadir is not None and from_nadir >= 20:
            return "PD_WITHOUT_5MM"
        return "UNEXPLAINED"
    if first == "NTRGRESP":
        return "NON_TARGET"
    if first in ("NEWLPROG", "NEWLIND"):
        return "NEW_LESION"
    return "OVERALL_TABLE"


def _derived_values(point: Mapping[str, Any], criteria: str) -> dict[str, str | None]:
    values: dict[str, str | None] = {
        "TRGRESP": point.get("target"),
        "NTRGRESP": point.get("non_target"),
        "NEWLPROG": point.get("new_lesions"),
        "OVRLRESP": point.get("overall"),
    }
    if criteria == "iRECIST":
        new = point.get("new_lesions")
        values["NEWLIND"] = None if new is None else ("N" if new == "N" else "Y")
    return values


def _rs_visits(
    rs: Table | None,
) -> dict[tuple[str, Evaluator, str], list[dict[str, Any]]]:
    """RS grouped per reading and visit: ``{(usubjid, evaluator, criteria): [...]}``."""
    grouped: dict[tuple[str, Evaluator, str, str, str], dict[str, Any]] = {}
    for row in rs or []:
        cat = row.get("RSCAT", "").upper().replace(" ", "")
        criteria = "iRECIST" if "IRECIST" in cat else "RECIST 1.1"
        if cat and "RECIST" not in cat:
            continue  # other criteria (RANO, Lugano...) are not ours
        evaluator = Evaluator(
            name=row.get("RSEVAL", ""), identifier=row.get("RSEVALID", "")
        )
        key = (
            row.get("USUBJID", ""),
            evaluator,
            criteria,
            row.get("VISITNUM", ""),
            row.get("RSDTC", "")[:10],
        )
        entry = grouped.setdefault(
            key,
            {
                "VISITNUM": row.get("VISITNUM", ""),
                "VISIT": row.get("VISIT", ""),
                "RSDTC": row.get("RSDTC", ""),
                "values": {},
                "accepted": False,
            },
        )
        test = row.get("RSTESTCD", "").upper()
        value = row.get("RSSTRESC", "") or row.get("RSORRES", "")
        if test and value:
            entry["values"].setdefault(test, value)
        if test == "OVRLRESP" and row.get("RSACPTFL", "").upper() == "Y":
            entry["accepted"] = True
    out: dict[tuple[str, Evaluator, str], list[dict[str, Any]]] = defaultdict(list)
    for (usubjid, evaluator, criteria, _num, _dtc), entry in grouped.items():
        out[(usubjid, evaluator, criteria)].append(entry)
    return out


def _match(
    entry: Mapping[str, Any], visits: Sequence[Any], used: set[int]
) -> int | None:
    """Index of the visit an RS visit belongs to: VISITNUM and date, else either."""
    num = entry["VISITNUM"]
    dtc = str(entry["RSDTC"])
    try:
        number = Decimal(num) if num else None
    except ArithmeticError:
        number = None
    same_num = [
        i for i, v in enumerate(visits) if number is not None and v.visitnum == number
    ]
    for i in same_num:
        if i not in used and (visits[i].dtc == dtc or visits[i].date == dtc[:10]):
            return i
    free = [i for i in same_num if i not in used]
    if len(free) == 1:
        return free[0]
    for i, visit in enumerate(visits):
        if i not in used and dtc and visit.date == dtc[:10]:
            return i
    return None


def compare_with_rs(
    derived: Iterable[DerivedReading],
    rs: Table | None,
    *,
    subject: str | None = None,
) -> list[VisitComparison]:
    """Put each derived visit beside the RS record of the same reader and visit.

    Parameters
    ----------
    derived : iterable of DerivedReading
        From :func:`derive_reading`.
    rs : Table or None
        The RS domain; without it every comparison has ``recorded == {}``.
    subject : str, optional
        Only this ``USUBJID`` for the RS visits no reading has.

    Returns
    -------
    list of VisitComparison
        One per follow-up visit of each reading, then the RS visits no reading
        has (``derived == {}``), in subject, evaluator, visit order.

    Notes
    -----
    An RS visit matches the follow-up with the same ``VISITNUM`` and date, else
    the only one with that ``VISITNUM``, else the one with that date. RS rows of
    a reader are compared with the reading of the same ``RSCAT``.
    """
    rs_visits = _rs_visits(rs)
    seen: set[tuple[str, Evaluator, str]] = set()
    out: list[VisitComparison] = []
    for item in derived:
        reading = item.reading
        key = (reading.usubjid, reading.evaluator, reading.criteria)
        seen.add(key)
        follow = [v for v in reading.visits if not v.baseline]
        records: dict[int, Mapping[str, Any]] = {}
        unmatched: list[Mapping[str, Any]] = []
        used: set[int] = set()
        for rs_visit in rs_visits.get(key, []):
            found = _match(rs_visit, follow, used)
            if found is None:
                unmatched.append(rs_visit)
            else:
                used.add(found)
                records[found] = rs_visit
        for index, visit in enumerate(follow):
            point = item.timepoint(visit.date) if item.error is None else None
            entry = records.get(index, {})
            facts: dict[str, Any] = {"recorded_sum_mm": visit.recorded_sum_mm}
            if point is not None:
                facts.update(
                    sum_mm=point.get("sum_mm"),
                    pct_from_baseline=point.get("pct_from_baseline"),
                    pct_from_nadir=point.get("pct_from_nadir"),
                )
            if reading.case is not None:
                targets = reading.case["followups"][index]["targets"]
                missing = sorted(k for k, v in targets.items() if v is None)
                facts["not_evaluated"] = missing
            derived_values = (
                _derived_values(point, reading.criteria)
                if point is not None
                else dict.fromkeys(RESPONSE_TESTS)
            )
            out.append(
                VisitComparison(
                    usubjid=reading.usubjid,
                    evaluator=reading.evaluator,
                    criteria=reading.criteria,
                    visitnum=visit.visitnum,
                    visit=visit.visit,
                    date=visit.date,
                    derived=derived_values,
                    recorded=dict(entry.get("values", {})),
                    reasons=item.reasons.get(visit.date, {}),
                    facts=facts,
                    accepted=bool(entry.get("accepted", False)),
                    error=item.error,
                )
            )
        out.extend(_rs_only(reading.usubjid, reading.evaluator, key[2], unmatched))
    for key, entries in sorted(rs_visits.items(), key=lambda kv: _sort_key(kv[0])):
        if key not in seen and subject in (None, key[0]):
            out.extend(_rs_only(key[0], key[1], key[2], entries))
    return out


def _sort_key(key: tuple[str, Evaluator, str]) -> tuple[str, str, str, str]:
    return (key[0], key[1].name, key[1].identifier, key[2])


def _rs_only(
    usubjid: str,
    evaluator: Evaluator,
    criteria: str,
    entries: Iterable[Mapping[str, Any]],
) -> list[VisitComparison]:
    out = []
    for entry in entries:
        try:
            number: Decimal | None = Decimal(entry["VISITNUM"])
        except ArithmeticError:
            number = None
        out.append(
            VisitComparison(
                usubjid=usubjid,
                evaluator=evaluator,
                criteria=criteria,
                visitnum=number,
                visit=str(entry["VISIT"]),
                date=str(entry["RSDTC"]),
                derived={},
                recorded=dict(entry["values"]),
                accepted=bool(entry["accepted"]),
            )
        )
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Agreement:
    """Counts of agreement between derived and recorded responses.

    Attributes
    ----------
    visits, visits_agree : int
        Visits with a record, and those where every recorded test agrees.
    accepted, accepted_agree : int
        The same over records with ``RSACPTFL = Y``.
    by_test : dict
        RS test code -> (compared, agree).
    subjects, subjects_agree : int
        Subjects with a record, and those whose recorded visits all agree.
    causes : dict
        :data:`CAUSES` key -> number of disagreeing visits.
    """

    visits: int
    visits_agree: int
    accepted: int
    accepted_agree: int
    by_test: dict[str, tuple[int, int]]
    subjects: int
    subjects_agree: int
    causes: dict[str, int]


def summarize(comparisons: Iterable[VisitComparison]) -> Agreement:
    """Count the agreement per visit, per test, per subject and per cause."""
    items = [c for c in comparisons if c.recorded]
    by_test: dict[str, list[int]] = {}
    subject_ok: dict[str, bool] = {}
    causes: dict[str, int] = defaultdict(int)
    for item in items:
        ok = bool(item.agree)
        subject_ok[item.usubjid] = subject_ok.get(item.usubjid, True) and ok
        for test, value in item.recorded.items():
            if test not in (*RESPONSE_TESTS, *IRECIST_TESTS):
                continue
            counts = by_test.setdefault(test, [0, 0])
            counts[0] += 1
            counts[1] += _normal(test, value) == item.derived.get(test)
        if not ok:
            causes[item.cause or "UNEXPLAINED"] += 1
    accepted = [c for c in items if c.accepted]
    return Agreement(
        visits=len(items),
        visits_agree=sum(bool(c.agree) for c in items),
        accepted=len(accepted),
        accepted_agree=sum(bool(c.agree) for c in accepted),
        by_test={t: (n, k) for t, (n, k) in by_test.items()},
        subjects=len(subject_ok),
        subjects_agree=sum(subject_ok.values()),
        causes=dict(sorted(causes.items(), key=lambda kv: -kv[1])),
    )
