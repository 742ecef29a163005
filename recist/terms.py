"""Controlled terms of the engine: the exact CDISC / case-format strings.

Strings become these enums at the boundary (:mod:`recist.formats`, the CLI), so an
unknown term fails where it entered.  Rule identifiers (``RULE_*``) name the section
of ``shared/spec/recist-1.1.md`` or ``shared/spec/irecist.md`` a result follows.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CONFIRMED_BOR_RULE",
    "ERROR_ORDER",
    "Criteria",
    "ErrorCode",
    "LesionRole",
    "MeasurementKind",
    "NewLesionStatus",
    "NonTargetState",
    "Response",
    "to_irecist",
]


class Criteria(StrEnum):
    """Response criteria of a reading (SDTM RS ``RSCAT`` wording)."""

    RECIST_1_1 = "RECIST 1.1"
    IRECIST = "iRECIST"


class Response(StrEnum):
    """A response category (SDTM RS ``RSSTRESC`` for TRGRESP/NTRGRESP/OVRLRESP).

    The values are the CDISC oncology response terms used by the RECIST 1.1
    Disease Response Supplement and its iRECIST extension: ``CR PR SD PD
    NON-CR/NON-PD NE NA`` and ``iCR iPR iSD NON-iCR/NON-iUPD iUPD iCPD``.
    """

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"
    NA = "NA"
    ICR = "iCR"
    IPR = "iPR"
    ISD = "iSD"
    NON_ICR_NON_IUPD = "NON-iCR/NON-iUPD"
    IUPD = "iUPD"
    ICPD = "iCPD"


_TO_I = {
    Response.CR: Response.ICR,
    Response.PR: Response.IPR,
    Response.SD: Response.ISD,
    Response.NON_CR_NON_PD: Response.NON_ICR_NON_IUPD,
    Response.PD: Response.IUPD,
}


def to_irecist(value: Response) -> Response:
    """Return the iRECIST label of a RECIST 1.1 category (``PD`` -> ``iUPD``).

    Examples
    --------
    >>> to_irecist(Response.NON_CR_NON_PD).value
    'NON-iCR/NON-iUPD'
    >>> to_irecist(Response.NE).value
    'NE'
    """
    return _TO_I.get(value, value)


class NewLesionStatus(StrEnum):
    """New-lesion category of a time point (SDTM RS ``NEWLPROG``; case format)."""

    Y = "Y"
    N = "N"
    EQUIVOCAL = "EQUIVOCAL"


class NonTargetState(StrEnum):
    """State of a non-target lesion at a follow-up (SDTM TR ``TRSTRESC``)."""

    ABSENT = "ABSENT"
    PRESENT = "PRESENT"
    UNEQUIVOCAL_PROGRESSION = "UNEQUIVOCAL PROGRESSION"
    NOT_EVALUATED = "NOT EVALUATED"


class LesionRole(StrEnum):
    """Role of a lesion (SDTM TU ``TUSTRESC``)."""

    TARGET = "TARGET"
    NON_TARGET = "NON-TARGET"
    NEW = "NEW"


class MeasurementKind(StrEnum):
    """What a target's follow-up value is (spec §3; TR ``TRSTRESC`` wording)."""

    MEASURED = "MEASURED"
    TOO_SMALL = "TOO SMALL TO MEASURE"
    NOT_EVALUATED = "NOT EVALUATED"
    SPLIT = "SPLIT"
    COALESCED = "COALESCED"


class ErrorCode(StrEnum):
    """Invalid-input codes of the case format, in the order they are checked."""

    NO_BASELINE_DISEASE = "NO_BASELINE_DISEASE"
    TOO_MANY_TARGETS = "TOO_MANY_TARGETS"
    TOO_MANY_TARGETS_IN_ORGAN = "TOO_MANY_TARGETS_IN_ORGAN"
    TARGET_NOT_MEASURABLE = "TARGET_NOT_MEASURABLE"
    UNKNOWN_LESION = "UNKNOWN_LESION"
    DATES_OUT_OF_ORDER = "DATES_OUT_OF_ORDER"
    #: ours (not in the case format's list): coalesced values that point in a
    #: circle, so no lesion carries the merged diameter (recist-1.1.md §3)
    COALESCED_CYCLE = "COALESCED_CYCLE"


#: Precedence of error codes (RECIST 1.1 spec §2.4, Convention R-03).
ERROR_ORDER: tuple[ErrorCode, ...] = tuple(ErrorCode)

#: Rule id of the best overall response with confirmation.
CONFIRMED_BOR_RULE = "RECIST 1.1 §9.3"
