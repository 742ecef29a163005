"""Value objects of a reading: lesions, measurements, time points, options.

Every object is a frozen, slotted, keyword-only dataclass.  Constructors reject
the *impossible* (NaN or negative millimetres, a split lesion without fragments)
with :class:`~recist.errors.InvalidMeasurementError` or
:class:`~recist.errors.InvalidInputError`; the rules judge the *forbidden* (a
7 mm target, a third target in one organ), so a bad baseline can be built and
explained by :func:`recist.rules.recist11.check_reading`.

Lengths are :class:`~decimal.Decimal` millimetres; :func:`mm` is the one place
where floats (e.g. from :mod:`measurements`) become decimals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from recist.errors import InvalidInputError, InvalidMeasurementError
from recist.terms import (
    Criteria,
    LesionRole,
    MeasurementKind,
    NewLesionStatus,
    NonTargetState,
    Response,
)

__all__ = [
    "TOO_SMALL_MM",
    "Assessed",
    "Assessment",
    "AuditEntry",
    "Baseline",
    "ImageRef",
    "Lesion",
    "Measurement",
    "NewLesion",
    "Options",
    "PointLPS",
    "Reading",
    "Subject",
    "TimePoint",
    "TimePointAssessment",
    "mm",
]

#: Value of a lesion "too small to measure" (RECIST 1.1 spec §3, Convention R-04).
TOO_SMALL_MM = Decimal(5)

#: A point in patient coordinates, LPS millimetres ``(x, y, z)``.
PointLPS = tuple[float, float, float]

V = TypeVar("V")


def mm(value: Decimal | int | float | str) -> Decimal:
    """Convert a length in mm to an exact :class:`~decimal.Decimal`.

    Floats are converted through their shortest repr, so ``32.2`` becomes
    ``Decimal('32.2')`` and not the binary value ``32.2000000000000028...``.

    Parameters
    ----------
    value : Decimal, int, float or str
        A length in millimetres. *Permitted values:* finite, >= 0.

    Returns
    -------
    Decimal

    Raises
    ------
    InvalidMeasurementError
        If the value is not a finite non-negative number (booleans are refused).

    Examples
    --------
    >>> mm(32.2)
    Decimal('32.2')
    >>> mm(7)
    Decimal('7')
    """
    if isinstance(value, bool):
        raise InvalidMeasurementError(f"a length in mm is a number, got {value!r}")
    try:
        if isinstance(value, Decimal):
            d = value
        elif isinstance(value, float):
            d = Decimal(repr(value))
        else:
            d = Decimal(value)
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise InvalidMeasurementError(f"not a length in mm: {value!r}") from exc
    if not d.is_finite() or d < 0:
        raise InvalidMeasurementError(
            f"a length must be finite and >= 0 mm, got {value!r}"
        )
    return d


def _check_mm(value: object, what: str, lesion: str | None) -> None:
    if not isinstance(value, Decimal):
        msg = f"{what} must be a Decimal (use recist.model.mm()), got {value!r}"
        raise InvalidMeasurementError(msg, lesion=lesion)
    if not (value.is_finite() and value >= 0):
        msg = f"{what} must be finite and >= 0 mm, got {value!r}"
        raise InvalidMeasurementError(msg, lesion=lesion)


def _check_points(points: tuple[object, ...], lesion: str | None) -> None:
    for p in points:
        if not (isinstance(p, tuple) and len(p) == 3):
            msg = f"endpoints_lps must hold (x, y, z) points, got {p!r}"
            raise InvalidMeasurementError(msg, lesion=lesion)


@dataclass(frozen=True, slots=True)
class Assessed(Generic[V]):
    """A result of a rule, with the rule it follows and a one-line reason.

    Parameters
    ----------
    value : V
        The result, usually a :class:`~recist.terms.Response`.
    rule : str
        The spec section followed, e.g. ``"RECIST 1.1 §4.2"``.
    reason : str
        One line naming the rule's numbers ("PR: sum 42.0 mm is -34.4% ...").
    inputs : Mapping[str, object]
        The numbers and categories the rule used.
    """

    value: V
    rule: str
    reason: str
    inputs: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageRef:
    """Where a measurement was made: DICOM study, series, SOP instance, frame.

    ``frame`` is the 1-based frame number of a multi-frame instance, or None.
    """

    study_uid: str
    series_uid: str
    sop_uid: str
    frame: int | None = None

    def __post_init__(self) -> None:
        if self.frame is not None and self.frame < 1:
            raise InvalidInputError(f"frame numbers start at 1, got {self.frame}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """A target lesion's diameter at one assessment (short axis if nodal).

    Parameters
    ----------
    kind : MeasurementKind
        ``MEASURED`` (``diameter_mm``), ``TOO_SMALL`` (counts 5 mm),
        ``NOT_EVALUATED``, ``SPLIT`` (``fragments_mm`` add up) or ``COALESCED``
        (merged into the lesion ``coalesced_into``, which carries the merged
        diameter; this one counts 0).
    diameter_mm : Decimal or None
        The measured value, only for ``MEASURED``. *Permitted values:* >= 0.
    fragments_mm : tuple of Decimal
        The fragments of a split lesion, only for ``SPLIT``.
    coalesced_into : str or None
        Lesion id carrying the merged diameter, only for ``COALESCED``.
    image : ImageRef or None
        The image the measurement was made on.
    endpoints_lps : tuple of (x, y, z)
        Calliper endpoints in LPS mm: long axis, then short axis for nodes.
    reason_not_done : str or None
        Why a ``NOT_EVALUATED`` value was not measured (SDTM ``TRREASND``).

    Examples
    --------
    >>> Measurement.split(mm(15), mm(12)).value_mm
    Decimal('27')
    >>> Measurement.too_small().value_mm
    Decimal('5')
    >>> Measurement.not_evaluated().value_mm is None
    True
    """

    kind: MeasurementKind
    diameter_mm: Decimal | None = None
    fragments_mm: tuple[Decimal, ...] = ()
    coalesced_into: str | None = None
    image: ImageRef | None = None
    endpoints_lps: tuple[PointLPS, ...] = ()
    reason_not_done: str | None = None

    def __post_init__(self) -> None:
        kind = MeasurementKind(self.kind)
        if self.reason_not_done is not None and kind is not (
            MeasurementKind.NOT_EVALUATED
        ):
            raise InvalidMeasurementError(f"{kind.value} has no reason_not_done")
        if self.kind is not kind:
            object.__setattr__(self, "kind", kind)
        d = self.diameter_mm
        if kind is MeasurementKind.MEASURED:
            if d is None:
                raise InvalidMeasurementError("a MEASURED value needs diameter_mm")
            _check_mm(d, "diameter_mm", None)
        elif d is not None:
            raise InvalidMeasurementError(f"{kind.value} has no diameter_mm, got {d!r}")
        if kind is MeasurementKind.SPLIT:
            if not self.fragments_mm:
                raise InvalidMeasurementError(
                    "a SPLIT lesion needs at least one fragment"
                )
            for f in self.fragments_mm:
                _check_mm(f, "a fragment", None)
        elif self.fragments_mm:
            raise InvalidMeasurementError(f"{kind.value} has no fragments_mm")
        if kind is MeasurementKind.COALESCED:
            if not self.coalesced_into:
                raise InvalidMeasurementError("a COALESCED lesion names coalesced_into")
        elif self.coalesced_into is not None:
            raise InvalidMeasurementError(f"{kind.value} has no coalesced_into")
        _check_points(self.endpoints_lps, None)

    @property
    def value_mm(self) -> Decimal | None:
        """The value that enters the sum, or None when not evaluated (spec §3)."""
        kind = self.kind
        if kind is MeasurementKind.MEASURED:
            return self.diameter_mm
        if kind is MeasurementKind.TOO_SMALL:
            return TOO_SMALL_MM
        if kind is MeasurementKind.SPLIT:
            return sum(self.fragments_mm, Decimal(0))
        if kind is MeasurementKind.COALESCED:
            return Decimal(0)
        return None

    @classmethod
    def of_mm(cls, diameter_mm: Decimal | int | float | str, **kw: Any) -> Measurement:
        """Build a measured value (floats converted by :func:`mm`)."""
        return cls(kind=MeasurementKind.MEASURED, diameter_mm=mm(diameter_mm), **kw)

    @classmethod
    def too_small(cls, **kw: Any) -> Measurement:
        """Build a "too small to measure" value (counts 5 mm)."""
        return cls(kind=MeasurementKind.TOO_SMALL, **kw)

    @classmethod
    def not_evaluated(cls, **kw: Any) -> Measurement:
        """Build a "not evaluated" value."""
        return cls(kind=MeasurementKind.NOT_EVALUATED, **kw)

    @classmethod
    def split(cls, *fragments_mm: Decimal, **kw: Any) -> Measurement:
        """Build the value of a split lesion from its fragments."""
        frags = tuple(mm(f) for f in fragments_mm)
        return cls(kind=MeasurementKind.SPLIT, fragments_mm=frags, **kw)

    @classmethod
    def coalesced(cls, into: str, **kw: Any) -> Measurement:
        """Build the value of a lesion merged into lesion ``into`` (counts 0)."""
        return cls(kind=MeasurementKind.COALESCED, coalesced_into=into, **kw)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lesion:
    """A lesion recorded at baseline (target or non-target).

    Parameters
    ----------
    lesion_id : str
        TULNKID, e.g. ``"T01"``, ``"NT01"``.
    role : LesionRole
        ``TARGET`` or ``NON_TARGET``.
    site : str
        Organ or location (TULOC); organ identity per Convention R-02.
    nodal : bool
        A lymph node: measured by short axis; all nodes are one organ.
    baseline : Measurement or None
        The baseline diameter of a target (short axis if nodal); None for
        non-targets.
    slice_thickness_mm : Decimal or None
        Slice thickness of the baseline image, when known: a non-nodal target
        must then measure at least twice it (spec §2.1).
    location_lps : (x, y, z) or None
        Where the reader marked a non-target (LPS mm), so it can be found
        again; optional (a target's place is its calliper ``baseline``).
    """

    lesion_id: str
    role: LesionRole
    site: str
    nodal: bool = False
    baseline: Measurement | None = None
    slice_thickness_mm: Decimal | None = None
    location_lps: PointLPS | None = None

    def __post_init__(self) -> None:
        if not self.lesion_id:
            raise InvalidInputError("a lesion needs a non-empty id")
        object.__setattr__(self, "role", LesionRole(self.role))
        if self.role is LesionRole.NEW:
            msg = f"{self.lesion_id}: new lesions are NewLesion objects"
            raise InvalidInputError(msg)
        if self.slice_thickness_mm is not None:
            _check_mm(self.slice_thickness_mm, "slice_thickness_mm", self.lesion_id)
        if self.location_lps is not None:
            _check_points((self.location_lps,), self.lesion_id)

    @property
    def organ(self) -> str:
        """Organ key for the 2-per-organ rule: nodes are one organ (R-02)."""
        return "LYMPH NODE" if self.nodal else self.site.strip().casefold()

    @property
    def diameter_mm(self) -> Decimal | None:
        """Baseline diameter (short axis if nodal), or None."""
        return None if self.baseline is None else self.baseline.value_mm


@dataclass(frozen=True, slots=True, kw_only=True)
class NewLesion:
    """A new lesion listed at a follow-up.

    Parameters
    ----------
    lesion_id : str
        Kept at later visits (``"NEW01"``).
    site : str
        Organ or location.
    equivocal : bool
        Not (yet) unequivocally malignant.
    measurable : bool
        Reader's judgement; under iRECIST a measurable one may be a new target.
    nodal : bool
        A lymph node (``diameter_mm`` is then the short axis).
    diameter_mm : Decimal or None
        Its size; ``0`` means gone, None means present but not measured.
    image, endpoints_lps
        Where it was measured, as for :class:`Measurement`.
    """

    lesion_id: str
    site: str
    equivocal: bool = False
    measurable: bool = False
    nodal: bool = False
    diameter_mm: Decimal | None = None
    image: ImageRef | None = None
    endpoints_lps: tuple[PointLPS, ...] = ()

    def __post_init__(self) -> None:
        if not self.lesion_id:
            raise InvalidInputError("a new lesion needs a non-empty id")
        if self.diameter_mm is not None:
            _check_mm(self.diameter_mm, "diameter_mm", self.lesion_id)
        _check_points(self.endpoints_lps, self.lesion_id)

    @property
    def present(self) -> bool:
        """Listed with a positive or unknown size (0 means resolved; spec §6)."""
        return self.diameter_mm is None or self.diameter_mm > 0

    @property
    def organ(self) -> str:
        """Organ key, as :attr:`Lesion.organ`."""
        return "LYMPH NODE" if self.nodal else self.site.strip().casefold()


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """The baseline assessment: its date, targets and non-targets."""

    date: dt.date
    targets: tuple[Lesion, ...] = ()
    non_targets: tuple[Lesion, ...] = ()
    study_uids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", tuple(self.targets))
        object.__setattr__(self, "non_targets", tuple(self.non_targets))
        seen: set[str] = set()
        for lesion in (*self.targets, *self.non_targets):
            if lesion.lesion_id in seen:
                msg = f"lesion id {lesion.lesion_id!r} is used twice at baseline"
                raise InvalidInputError(msg, location=f"baseline.{lesion.lesion_id}")
            seen.add(lesion.lesion_id)
        for lesion in self.targets:
            if lesion.role is not LesionRole.TARGET:
                raise InvalidInputError(f"{lesion.lesion_id} is listed as a target")
        for lesion in self.non_targets:
            if lesion.role is not LesionRole.NON_TARGET:
                raise InvalidInputError(f"{lesion.lesion_id} is listed as a non-target")


@dataclass(frozen=True, slots=True, kw_only=True)
class TimePoint:
    """One follow-up assessment.

    Parameters
    ----------
    date : datetime.date
        Scan date.
    targets : Mapping[str, Measurement]
        Baseline target id -> value; an id left out is not evaluated (R-05).
    non_targets : Mapping[str, NonTargetState]
        Baseline non-target id -> state; an id left out is not evaluated.
    new_lesions : tuple of NewLesion
        New lesions listed at this visit.
    study_uids : tuple of str
        The imaging studies this assessment was read on.
    """

    date: dt.date
    targets: Mapping[str, Measurement] = field(default_factory=dict)
    non_targets: Mapping[str, NonTargetState] = field(default_factory=dict)
    new_lesions: tuple[NewLesion, ...] = ()
    study_uids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", _frozen_map(self.targets))
        states = {k: NonTargetState(v) for k, v in self.non_targets.items()}
        object.__setattr__(self, "non_targets", _frozen_map(states))
        object.__setattr__(self, "new_lesions", tuple(self.new_lesions))
        ids = [n.lesion_id for n in self.new_lesions]
        if len(set(ids)) != len(ids):
            msg = f"{self.date}: a new lesion id is listed twice ({ids})"
            raise InvalidInputError(msg)


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """Assessment options (case-format ``options``; defaults as the spec).

    ``confirmation``: CR/PR need a confirming assessment at least
    ``confirmation_min_days`` later; ``sd_min_days``: least days from baseline for
    SD (and NON-CR/NON-PD) to count in the best response.
    """

    confirmation: bool = True
    confirmation_min_days: int = 28
    sd_min_days: int = 42

    def __post_init__(self) -> None:
        for name in ("confirmation_min_days", "sd_min_days"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InvalidInputError(f"{name} must be an integer >= 0, got {v!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One line of a reading's audit trail: when (ISO 8601), who, what."""

    when: str
    who: str
    what: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A lesion found at a time point by registration, waiting for a reader.

    The engine never counts a proposal: it becomes a measurement only when a
    reader accepts it (:func:`recist.tracking.accept_proposal`).

    Parameters
    ----------
    lesion_id : str
        The lesion followed (TULNKID): a target, non-target or earlier new lesion.
    date : datetime.date
        The time point it was looked for at.
    role : str
        ``TARGET``, ``NON-TARGET`` or ``NEW``.
    found : bool
        False: nothing was found where the lesion should be (vanished, or the
        registration failed); ``measurement`` is then None.
    measurement : Measurement or None
        The proposed RECIST value (long axis, or short axis if nodal) with its
        slice and calliper endpoints.
    long_axis_mm, short_axis_mm : Decimal or None
        Both axes of the proposed segmentation, on the measured slice.
    center_lps : (float, float, float) or None
        Proposed lesion centre (LPS mm).
    source_date : datetime.date
        The time point whose measurement was propagated.
    residual_mm : float or None
        Distance from where the registration put the lesion centre to the centre
        of what was segmented there.
    similarity : float or None
        Normalised cross-correlation of the lesion's neighbourhood after local
        registration (1 = identical).
    flags : tuple of str
        Reasons for the reader to look twice (``LOW_SIMILARITY``, ``NEAR_EDGE``,
        ``SEGMENTATION_FAILED``, ``FAR_FROM_MAPPED``, ``LARGE_LOCAL_SHIFT``).
    reason : str
        One line: how the proposal was made.
    """

    lesion_id: str
    date: dt.date
    role: str
    found: bool
    source_date: dt.date
    measurement: Measurement | None = None
    long_axis_mm: Decimal | None = None
    short_axis_mm: Decimal | None = None
    center_lps: PointLPS | None = None
    residual_mm: float | None = None
    similarity: float | None = None
    flags: tuple[str, ...] = ()
    reason: str = ""

    def __post_init__(self) -> None:
        if self.role not in ("TARGET", "NON-TARGET", "NEW"):
            msg = f"proposal role must be TARGET, NON-TARGET or NEW, got {self.role!r}"
            raise InvalidInputError(msg)
        if self.found != (self.measurement is not None) and self.role != "NON-TARGET":
            msg = f"{self.lesion_id}: a found proposal needs a measurement, else none"
            raise InvalidInputError(msg)
        object.__setattr__(self, "flags", tuple(self.flags))


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """One reader's assessments of one subject.

    Parameters
    ----------
    baseline : Baseline
    followups : tuple of TimePoint
        In the order listed (dates must increase; checked by the rules).
    criteria : Criteria
        ``RECIST 1.1`` or ``iRECIST``.
    options : Options
    subject_id : str or None
        USUBJID.
    reader : str or None
        Reader id or name (RSEVALID).
    case_id : str or None
        The case-format ``id``.
    description : str or None
    audit : tuple of AuditEntry
    subject : Mapping[str, str]
        Optional subject-level data as DM/ADSL variables (``ARM``,
        ``RFSTDTC``, ``DTHDTC``, ``EFFFL``...); a DM/ADSL file given with it
        wins (issue #13).
    proposals : tuple of Proposal
        Lesions found by registration and not yet accepted (never assessed).
    """

    baseline: Baseline
    followups: tuple[TimePoint, ...] = ()
    criteria: Criteria = Criteria.RECIST_1_1
    options: Options = field(default_factory=Options)
    subject_id: str | None = None
    reader: str | None = None
    case_id: str | None = None
    description: str | None = None
    audit: tuple[AuditEntry, ...] = ()
    subject: Mapping[str, str] = field(default_factory=dict)
    proposals: tuple[Proposal, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "criteria", Criteria(self.criteria))
        object.__setattr__(self, "followups", tuple(self.followups))
        object.__setattr__(self, "audit", tuple(self.audit))
        object.__setattr__(self, "subject", _frozen_map(self.subject))
        object.__setattr__(self, "proposals", tuple(self.proposals))


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """A subject (USUBJID) and the readings made of it (one per reader)."""

    subject_id: str
    readings: tuple[Reading, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TimePointAssessment:
    """The responses at one follow-up, each with its rule and reason.

    Parameters
    ----------
    date : datetime.date
    sum_mm : Decimal or None
        Sum of diameters; None when a target is not evaluated or none exist.
    pct_from_baseline, pct_from_nadir : Decimal or None
        Rounded to 0.1, half away from zero: display only (R-15).
    nadir_mm : Decimal or None
        Smallest complete sum among baseline and earlier follow-ups.
    target, non_target, overall : Assessed[Response]
    new_lesions : Assessed[NewLesionStatus]
    new_target_sum_mm : Decimal or None
        iRECIST only: sum of the new target lesions.
    values_mm : Mapping[str, Decimal or None]
        Each baseline target's value as it entered the sum.
    """

    date: dt.date
    sum_mm: Decimal | None
    pct_from_baseline: Decimal | None
    pct_from_nadir: Decimal | None
    nadir_mm: Decimal | None
    target: Assessed[Response]
    non_target: Assessed[Response]
    new_lesions: Assessed[NewLesionStatus]
    overall: Assessed[Response]
    new_target_sum_mm: Decimal | None = None
    values_mm: Mapping[str, Decimal | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    """Everything :func:`recist.assess` derives from a reading.

    ``best_overall_response`` follows the reading's (or the caller's)
    ``confirmation`` option; both variants are also given.  ``warnings`` are
    data issues for the reader (e.g. CR followed by PR, R-13).
    """

    reading: Reading
    criteria: Criteria
    baseline_sum_mm: Decimal | None
    timepoints: tuple[TimePointAssessment, ...]
    best_overall_response: Assessed[Response]
    best_overall_response_confirmed: Assessed[Response]
    best_overall_response_unconfirmed: Assessed[Response]
    confirmation: bool
    warnings: tuple[str, ...] = ()
