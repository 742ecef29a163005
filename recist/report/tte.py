"""Progression-free survival and duration of response as a SAP defines them.

:class:`TteRules` holds the choices a statistical analysis plan makes (origin,
events, censoring); :func:`time_to_event` applies them to one subject's dated
assessments and returns a :class:`~recist.report._stats.TimeToEvent` whose
``description`` is the event (EVNTDESC) or the censoring reason (CNSDTDSC).
:meth:`TteRules.describe` states the rules in words for the outputs.

Defaults (FDA 2018 guidance "Clinical Trial Endpoints for the Approval of
Cancer Drugs and Biologics", table of PFS censoring; admiralonco ``event_source``
/ ``censor_source`` objects):

1. Origin (STARTDT): first dose from DM/ADSL; a subject without it starts at
   the baseline scan (said per subject).
2. Events: progression (RECIST 1.1 PD; iRECIST iCPD dated at the iUPD it
   confirms) and death, whichever is first.
3. Censoring, each with its reason:
   a. no adequate (not NE) post-baseline assessment and no death: at the origin;
   b. no event: at the last adequate assessment;
   c. new anticancer therapy before the event: at the last adequate assessment
      before it (when a date variable for it is named);
   d. an event after ``max_missed`` (2) or more missed planned assessments: at
      the last adequate assessment before the event (needs a visit schedule;
      without one the rule is not applied, and that is said).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from recist.formats.schedule import VisitSchedule
from recist.report._stats import TimeToEvent

__all__ = ["ORIGINS", "Assessed1", "TteRules", "time_to_event"]

#: ``--origin`` choices and what they mean.
ORIGINS: dict[str, str] = {
    "first-dose": "the date of first dose (DM RFXSTDTC / ADSL TRTSDT)",
    "randomisation": "the date of randomisation (ADSL RANDDT)",
    "baseline-scan": "the date of the baseline scan",
}

EVENT_PD = "Disease progression"
EVENT_ICPD = "Confirmed progression (iCPD) dated at its iUPD"
EVENT_DEATH = "Death"
CENSOR_NONE = "No post-baseline assessment"
CENSOR_LAST = "Last adequate assessment"
CENSOR_THERAPY = "New anticancer therapy"
CENSOR_MISSED = "Event after two or more missed assessments"


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessed1:
    """One follow-up as the time-to-event rules see it."""

    date: dt.date
    adequate: bool  # an evaluable (not NE) overall response


@dataclass(frozen=True, slots=True, kw_only=True)
class TteRules:
    """The SAP's PFS / DoR rules.

    Parameters
    ----------
    origin : {"first-dose", "randomisation", "baseline-scan"}
        PFS start (STARTDT). DoR always starts at the response.
    death_is_event : bool, default True
    max_missed : int, default 2
        Censor an event that follows this many missed planned assessments.
    schedule : VisitSchedule, optional
        The planned visits (windows) for the missed-assessment rule.
    new_therapy_var : str, optional
        DM/ADSL variable holding the date of new anticancer therapy.
    """

    origin: str = "first-dose"
    death_is_event: bool = True
    max_missed: int = 2
    schedule: VisitSchedule | None = None
    new_therapy_var: str | None = None

    def describe(self) -> list[str]:
        """Return the rules as sentences (for summary.html and summary.json)."""
        out = [
            f"PFS starts at {ORIGINS[self.origin]}; a subject without that date "
            "starts at the baseline scan (listed). Duration of response starts at "
            "the first response (confirmed BOR: the first CR/PR that was confirmed).",
            "Events: progression (RECIST 1.1 PD; iRECIST iCPD, dated at the iUPD it "
            "confirms)"
            + (
                " or death, whichever comes first."
                if self.death_is_event
                else "; deaths are not events."
            ),
            "Censored at the origin when there is no adequate (not NE) post-baseline "
            "assessment and no event; otherwise at the last adequate assessment.",
        ]
        if self.new_therapy_var:
            out.append(
                f"New anticancer therapy (date in {self.new_therapy_var}) before an "
                "event: censored at the last adequate assessment before it."
            )
        else:
            out.append("New anticancer therapy: no date given, rule not applied.")
        if self.schedule is not None:
            out.append(
                f"An event after {self.max_missed} or more missed planned "
                "assessments (windows from the visit schedule) is censored at the "
                "last adequate assessment before it."
            )
        else:
            out.append(
                "Missed assessments: no visit schedule given, so an event after "
                "missed assessments is counted as an event."
            )
        out.append(
            "Times are ADT - STARTDT + 1 days (ADaM ADTTE AVAL); months are days "
            "/ 30.4375."
        )
        return out


def _last_adequate(
    assessments: Sequence[Assessed1], before: dt.date | None, start: dt.date
) -> dt.date | None:
    last = None
    for a in assessments:
        if before is not None and a.date >= before:
            break
        if a.adequate and a.date >= start:
            last = a.date
    return last


def time_to_event(
    subject_id: str,
    *,
    start: dt.date,
    assessments: Sequence[Assessed1],
    progression: dt.date | None,
    death: dt.date | None,
    rules: TteRules,
    new_therapy: dt.date | None = None,
    reference: dt.date | None = None,
    progression_text: str = EVENT_PD,
    nothing_text: str = CENSOR_NONE,
) -> TimeToEvent:
    """Apply the rules to one subject.

    Parameters
    ----------
    subject_id : str
    start : date
        STARTDT (the origin, or the response date for DoR).
    assessments : sequence of Assessed1
        Follow-ups in date order.
    progression : date, optional
        The progression date (first PD; iRECIST: the iUPD an iCPD confirms).
    death : date, optional
    rules : TteRules
    new_therapy : date, optional
    reference : date, optional
        Study day 1 for the schedule (default ``start``).
    progression_text, nothing_text : str
        EVNTDESC of progression; CNSDTDSC when nothing is known after ``start``.

    Examples
    --------
    >>> d = dt.date
    >>> a = [Assessed1(date=d(2026, 2, 16), adequate=True),
    ...      Assessed1(date=d(2026, 3, 30), adequate=True)]
    >>> t = time_to_event("S1", start=d(2026, 1, 5), assessments=a,
    ...                   progression=d(2026, 3, 30), death=None, rules=TteRules())
    >>> t.event, t.end, t.aval, t.description
    (True, datetime.date(2026, 3, 30), 85, 'Disease progression')
    """
    events: list[tuple[dt.date, str, str]] = []
    if progression is not None:
        events.append((progression, progression_text, "RS OVRLRESP"))
    if death is not None and rules.death_is_event:
        events.append((death, EVENT_DEATH, "DM DTHDTC"))
    event = min(events, key=lambda e: e[0]) if events else None
    if event is not None and event[0] < start:
        event = None  # before the origin: not this interval's event

    def censor(before: dt.date | None, why: str) -> TimeToEvent:
        last = _last_adequate(assessments, before, start)
        if last is None:
            return TimeToEvent(
                subject_id=subject_id,
                start=start,
                end=start,
                event=False,
                description=nothing_text if why == CENSOR_LAST else why,
                source="origin",
            )
        return TimeToEvent(
            subject_id=subject_id,
            start=start,
            end=last,
            event=False,
            description=why,
            source="RS OVRLRESP",
        )

    if (
        new_therapy is not None
        and (event is None or new_therapy < event[0])
        and new_therapy >= start
    ):
        return censor(new_therapy, CENSOR_THERAPY)
    if event is None:
        return censor(None, CENSOR_LAST)
    date, text, source = event
    if rules.schedule is not None:
        last = _last_adequate(assessments, date, start) or start
        missed = rules.schedule.missed_between(last, date, reference or start)
        if missed >= rules.max_missed:
            return censor(date, CENSOR_MISSED)
    return TimeToEvent(
        subject_id=subject_id,
        start=start,
        end=date,
        event=True,
        description=text,
        source=source,
    )
