"""Codes of the DICOM SR (TID 1500) and SEG we write, each with its source.

Standard codes come from pydicom's code dictionaries (``codes.SCT``,
``codes.DCM``, ``codes.UCUM``, ``codes.cid*``; DICOM PS3.16).  Concepts RECIST
needs and DICOM does not define (a lesion's role, a target's state, the
response categories) are *coined* in the private coding scheme
:data:`SCHEME` = ``"99RECIST"`` (PS3.16 §8.1: private schemes start with "99");
their meaning is the exact CDISC term (SDTM TU/TR/RS submission values, as in
:mod:`recist.terms`), so a reader of the SR sees the words of the RECIST 1.1
Disease Response Supplement.

Only pydicom is imported here (no highdicom), so the CLI can build its parser
cheaply.
"""

from __future__ import annotations

import hashlib

from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from recist.terms import (
    Criteria,
    LesionRole,
    MeasurementKind,
    NewLesionStatus,
    NonTargetState,
    Response,
)

__all__ = [
    "CODING_SCHEME_NAME",
    "COINED",
    "CRITERIA_CODES",
    "KIND_CODES",
    "LESION_ROLE",
    "LONG_AXIS",
    "MM",
    "NEW_LESION_STATUS_CODES",
    "NON_TARGET_STATE_CODES",
    "RESPONSE_CODES",
    "ROLE_CODES",
    "SCHEME",
    "SHORT_AXIS",
    "SITE_CODES",
    "coined",
    "site_code",
    "site_from_code",
]

#: Private coding scheme designator of the codes recist coins.
SCHEME = "99RECIST"
#: Its name, for CodingSchemeIdentificationSequence.
CODING_SCHEME_NAME = "recist: RECIST 1.1 concepts without a DICOM code"


def coined(value: str, meaning: str) -> Code:
    """Return a code of the private scheme :data:`SCHEME`.

    Examples
    --------
    >>> coined("R-0001", "Lesion role").scheme_designator
    '99RECIST'
    """
    return Code(value, SCHEME, meaning)


# --- standard codes (pydicom codes.*; PS3.16) ---------------------------------
#: SCT 103339001 "Long axis" (CID 7470 Linear Measurements).
LONG_AXIS: Code = codes.SCT.LongAxis
#: SCT 103340004 "Short axis" (CID 7470).
SHORT_AXIS: Code = codes.SCT.ShortAxis
#: UCUM "mm".
MM: Code = codes.UCUM.Millimeter
#: SCT 108369006 "Neoplasm": finding type of a non-nodal lesion.
NEOPLASM: Code = codes.SCT.Neoplasm
#: SCT 59441001 "Lymph node": finding type of a nodal lesion.
LYMPH_NODE: Code = codes.SCT.LymphNode
#: DCM 112225 "Slice Thickness" of the baseline image of a target.
SLICE_THICKNESS: Code = codes.DCM.SliceThickness

#: Finding sites (TULOC words -> SNOMED CT body structure; CID 7151/8134 values).
SITE_CODES: dict[str, Code] = {
    "LIVER": codes.SCT.Liver,
    "LUNG": codes.SCT.Lung,
    "LYMPH NODE": codes.SCT.LymphNode,
    "BONE": codes.SCT.Bone,
    "BRAIN": codes.SCT.Brain,
    "ADRENAL GLAND": codes.SCT.AdrenalGland,
    "KIDNEY": codes.SCT.Kidney,
    "PLEURA": codes.SCT.Pleura,
    "SPLEEN": codes.SCT.Spleen,
    "PANCREAS": codes.SCT.Pancreas,
    "SKIN": codes.SCT.Skin,
    "BREAST": codes.SCT.Breast,
    "MEDIASTINUM": codes.SCT.Mediastinum,
    "SOFT TISSUE": codes.SCT.SoftTissue,
}

#: Response criteria (CID 6147); iRECIST has no DICOM code yet: coined.
CRITERIA_CODES: dict[Criteria, Code] = {
    Criteria.RECIST_1_1: codes.cid6147.RECIST1Point1,
    Criteria.IRECIST: coined("R-0100", "iRECIST"),
}

# --- coined concepts (source: recist.terms, i.e. CDISC SDTM submission values) --
#: Concept name: role of a lesion (SDTM TU TUSTRESC for TUTESTCD TUMIDENT).
LESION_ROLE = coined("R-0001", "RECIST lesion role")
#: Concept name: what a target's value is (TR TRSTRESC wording).
TARGET_STATE = coined("R-0002", "RECIST target lesion state")
#: Concept name: a non-target's state at a follow-up (TR TRSTRESC).
NON_TARGET_STATE = coined("R-0003", "RECIST non-target lesion state")
#: Concept name: a new lesion is equivocal (not yet unequivocally malignant).
EQUIVOCAL = coined("R-0004", "Equivocal new lesion")
#: Concept name: a new lesion is measurable (reader's judgement).
MEASURABLE = coined("R-0005", "Measurable lesion")
#: TEXT concept: id of the lesion a coalesced lesion was merged into.
COALESCED_INTO = coined("R-0006", "Coalesced into lesion")
#: TEXT concept: reading-level properties with no DICOM home (JSON).
READING_PROPERTIES = coined("R-0007", "RECIST reading properties")
#: TEXT concept: a finding site exactly as the reader wrote it, when its code
#: does not give it back (case, spelling, more than 64 characters).
SITE_TEXT = coined("R-0008", "Finding site as written")
#: Concept names of the per-time-point responses (SDTM RS RSTESTCD).
TARGET_RESPONSE = coined("R-0010", "Target response")
NON_TARGET_RESPONSE = coined("R-0011", "Non-target response")
NEW_LESION_PROGRESSION = coined("R-0012", "New lesion progression")
OVERALL_RESPONSE = coined("R-0013", "Overall response")
#: Tracking identifier of the response group (not a lesion).
RESPONSE_GROUP_ID = "RECIST response"

ROLE_CODES: dict[LesionRole, Code] = {
    LesionRole.TARGET: coined("R-0020", "TARGET"),
    LesionRole.NON_TARGET: coined("R-0021", "NON-TARGET"),
    LesionRole.NEW: coined("R-0022", "NEW"),
}
KIND_CODES: dict[MeasurementKind, Code] = {
    MeasurementKind.MEASURED: coined("R-0030", "MEASURED"),
    MeasurementKind.TOO_SMALL: coined("R-0031", "TOO SMALL TO MEASURE"),
    MeasurementKind.NOT_EVALUATED: coined("R-0032", "NOT EVALUATED"),
    MeasurementKind.SPLIT: coined("R-0033", "SPLIT"),
    MeasurementKind.COALESCED: coined("R-0034", "COALESCED"),
}
NON_TARGET_STATE_CODES: dict[NonTargetState, Code] = {
    NonTargetState.PRESENT: codes.SCT.Present,
    NonTargetState.ABSENT: codes.SCT.Absent,
    NonTargetState.UNEQUIVOCAL_PROGRESSION: coined("R-0040", "UNEQUIVOCAL PROGRESSION"),
    NonTargetState.NOT_EVALUATED: coined("R-0041", "NOT EVALUATED"),
}
RESPONSE_CODES: dict[Response, Code] = {
    r: coined(f"R-{200 + i:04d}", r.value) for i, r in enumerate(Response)
}
NEW_LESION_STATUS_CODES: dict[NewLesionStatus, Code] = {
    NewLesionStatus.Y: codes.SCT.Yes,
    NewLesionStatus.N: codes.SCT.No,
    NewLesionStatus.EQUIVOCAL: codes.SCT.Equivocal,
}
YES: Code = codes.SCT.Yes
NO: Code = codes.SCT.No

#: Every coined code, for CodingSchemeIdentification and lookups.
COINED: tuple[Code, ...] = (
    CRITERIA_CODES[Criteria.IRECIST],
    LESION_ROLE,
    TARGET_STATE,
    NON_TARGET_STATE,
    EQUIVOCAL,
    MEASURABLE,
    COALESCED_INTO,
    READING_PROPERTIES,
    SITE_TEXT,
    TARGET_RESPONSE,
    NON_TARGET_RESPONSE,
    NEW_LESION_PROGRESSION,
    OVERALL_RESPONSE,
    *ROLE_CODES.values(),
    *KIND_CODES.values(),
    NON_TARGET_STATE_CODES[NonTargetState.UNEQUIVOCAL_PROGRESSION],
    NON_TARGET_STATE_CODES[NonTargetState.NOT_EVALUATED],
    *RESPONSE_CODES.values(),
)


def site_code(site: str) -> Code:
    """Return the finding-site code of a TULOC word (coined when unknown).

    Known sites (case-insensitive) get their SNOMED CT code; any other site gets
    a coined code whose meaning is the site exactly as written.

    Examples
    --------
    >>> site_code("liver").value
    '10200004'
    >>> site_code("Left adrenal nodule").meaning
    'Left adrenal nodule'
    """
    known = SITE_CODES.get(site.strip().upper())
    if known is not None:
        return known
    digest = hashlib.sha1(site.encode("utf-8"), usedforsecurity=False).hexdigest()
    return coined(f"S-{digest[:12]}", code_meaning(site))


def code_meaning(text: str) -> str:
    """Return ``text`` as a Code Meaning (LO): one line, no backslash, <= 64 chars.

    Longer text is cut at a word boundary with "..."; the full text goes
    in a TEXT item (:data:`SITE_TEXT`).

    Examples
    --------
    >>> code_meaning("Left adrenal")
    'Left adrenal'
    >>> code_meaning("segment " * 20)[-10:]
    'segment...'
    >>> code_meaning("a/b")
    'a/b'
    """
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    flat = flat.replace("\\", "/")
    if len(flat) <= 64:
        return flat
    cut = flat[:61]
    if " " in cut[32:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "..."


def site_from_code(value: str, scheme: str, meaning: str) -> str:
    """Return the TULOC word of a finding-site code (its meaning when unknown).

    Examples
    --------
    >>> site_from_code("10200004", "SCT", "Liver")
    'LIVER'
    >>> site_from_code("SITE", "99RECIST", "Left adrenal nodule")
    'Left adrenal nodule'
    """
    for word, code in SITE_CODES.items():
        if code.value == value and code.scheme_designator == scheme:
            return word
    return meaning


def same(a: Code, value: str, scheme: str) -> bool:
    """Whether ``a`` is the code ``(value, scheme)``."""
    return a.value == value and a.scheme_designator == scheme
