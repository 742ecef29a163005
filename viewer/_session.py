"""The reading being made: edits, undo/redo, autosave, save/open (no Qt widgets).

A :class:`ReadingSession` holds one immutable :class:`recist.Reading`; every edit
builds a new reading (``dataclasses.replace``), pushes the old one on the undo
stack, writes the autosave file atomically and emits :attr:`changed`.  The
response is never computed here: :meth:`assessment` calls :func:`recist.assess`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from psygnal import Signal

from recist import assess
from recist.errors import (
    InvalidInputError,
    ReadingMismatchError,
    RecistError,
    RuleViolation,
)
from recist.formats.reading import load_reading, save_reading
from recist.matching import check_images
from recist.model import (
    Assessment,
    AuditEntry,
    Baseline,
    ImageRef,
    Lesion,
    Measurement,
    NewLesion,
    PointLPS,
    Proposal,
    Reading,
    TimePoint,
)
from recist.rules.recist11 import check_reading
from recist.terms import Criteria, LesionRole, NonTargetState
from viewer._recovery import PendingAutosave, autosave_path_for, set_aside

__all__ = ["SITES", "ReadingMismatchError", "ReadingSession"]

#: Controlled list of lesion sites (TULOC-style wording).
SITES: tuple[str, ...] = (
    "LIVER",
    "LUNG",
    "LYMPH NODE",
    "BONE",
    "ADRENAL GLAND",
    "BRAIN",
    "KIDNEY",
    "PERITONEUM",
    "PLEURA",
    "SOFT TISSUE",
    "SPLEEN",
    "PANCREAS",
    "SKIN",
    "BREAST",
    "OVARY",
    "OTHER",
)

_PREFIX = {"target": "T", "non_target": "NT", "new": "NEW"}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ReadingSession:
    """One reader's reading of one subject, with undo/redo and autosave.

    Parameters
    ----------
    reading : Reading
        The starting reading.
    path : Path or str, optional
        Where :meth:`save` writes; the autosave file is
        ``<path>.autosave.json`` (or ``autosave_path`` when given).
    autosave_path : Path or str, optional
        Where every change is written atomically. None and no ``path``: off.
    who : str, optional
        Reader name written to the audit trail (default: the OS user).

    Examples
    --------
    >>> import datetime as dt
    >>> s = ReadingSession.new(dt.date(2026, 1, 5), subject_id="P1")
    >>> s.add_target("LIVER", Measurement.of_mm(30))
    'T01'
    >>> s.undo(); len(s.reading.baseline.targets)
    0
    """

    changed = Signal(object)

    def __init__(
        self,
        reading: Reading,
        *,
        path: Path | str | None = None,
        autosave_path: Path | str | None = None,
        who: str | None = None,
    ) -> None:
        self._reading = reading
        self._undo: list[Reading] = []
        self._redo: list[Reading] = []
        self.path = None if path is None else Path(path)
        if autosave_path is None and self.path is not None:
            autosave_path = autosave_path_for(self.path)
        self.autosave_path = None if autosave_path is None else Path(autosave_path)
        self.who = who or reading.reader or _user()
        self._steps = 0  # > 0 inside one_step()
        self._saved: Reading = reading  # as in the file (or as started)
        self._autosave_checked = False

    # -- construction -------------------------------------------------------------
    @classmethod
    def new(
        cls,
        baseline_date: dt.date,
        *,
        subject_id: str | None = None,
        study_uids: Iterable[str] = (),
        criteria: Criteria = Criteria.RECIST_1_1,
        **kw: object,
    ) -> ReadingSession:
        """Start an empty reading on a baseline date."""
        reading = Reading(
            baseline=Baseline(date=baseline_date, study_uids=tuple(study_uids)),
            criteria=criteria,
            subject_id=subject_id,
        )
        return cls(reading, **kw)  # type: ignore[arg-type]

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        patient_id: str | None = None,
        study_uids: Iterable[str] | None = None,
        **kw: object,
    ) -> ReadingSession:
        """Open a reading file, refusing it if it belongs to other images.

        Raises
        ------
        ReadingMismatchError
            ``subject_id`` differs from ``patient_id``, or none of the reading's
            study UIDs is among ``study_uids``.
        """
        reading = load_reading(path)
        check_images(reading, patient_id=patient_id, study_uids=study_uids)
        return cls(reading, path=path, **kw)  # type: ignore[arg-type]

    # -- state --------------------------------------------------------------------
    @property
    def reading(self) -> Reading:
        """The current reading (immutable)."""
        return self._reading

    @property
    def unsaved(self) -> bool:
        """Whether the reading differs from the one last saved (or opened)."""
        return self._reading != self._saved

    @property
    def can_undo(self) -> bool:
        """Whether there is an edit to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone edit to redo."""
        return bool(self._redo)

    def assessment(self) -> Assessment | None:
        """Return the engine's assessment (None while it cannot be assessed)."""
        try:
            return assess(self._reading)
        except RecistError:
            return None

    def violations(self) -> tuple[RuleViolation, ...]:
        """Rule violations of the reading (baseline first), by the engine."""
        return check_reading(self._reading)

    def lesion(self, lesion_id: str) -> Lesion | None:
        """Return a baseline lesion by id (None if absent)."""
        b = self._reading.baseline
        return next(
            (x for x in (*b.targets, *b.non_targets) if x.lesion_id == lesion_id), None
        )

    def new_lesion(
        self, lesion_id: str, *, upto: dt.date | None = None
    ) -> NewLesion | None:
        """Return the latest listing of a new lesion (on or before ``upto``)."""
        found = None
        for tp in self._reading.followups:
            if upto is not None and tp.date > upto:
                break
            for n in tp.new_lesions:
                if n.lesion_id == lesion_id:
                    found = n
        return found

    def new_lesion_ids(self) -> list[str]:
        """Ids of the new lesions, in the order first listed."""
        ids = [n.lesion_id for t in self._reading.followups for n in t.new_lesions]
        return list(dict.fromkeys(ids))

    def followup(self, date: dt.date) -> TimePoint | None:
        """Return the follow-up on a date, if recorded."""
        return next((t for t in self._reading.followups if t.date == date), None)

    def next_id(self, kind: str) -> str:
        """Return the next free id of a kind.

        ``"target"`` (T01), ``"non_target"`` (NT01) or ``"new"`` (NEW01).
        """
        prefix = _PREFIX[kind]
        b = self._reading.baseline
        ids = [x.lesion_id for x in (*b.targets, *b.non_targets)]
        ids += [n.lesion_id for t in self._reading.followups for n in t.new_lesions]
        pat = re.compile(rf"^{prefix}(\d+)$")
        used = [int(m.group(1)) for i in ids if (m := pat.match(i))]
        return f"{prefix}{max(used, default=0) + 1:02d}"

    # -- edits --------------------------------------------------------------------
    def apply(self, reading: Reading, what: str) -> None:
        """Make ``reading`` current (undoable), audit it, autosave, emit ``changed``."""
        entry = AuditEntry(when=_now(), who=self.who, what=what)
        reading = dataclasses.replace(reading, audit=(*reading.audit, entry))
        self._undo.append(self._reading)
        self._redo.clear()
        self._set(reading)

    @contextmanager
    def one_step(self) -> Iterator[None]:
        """Make the edits done inside one undo step (one user action).

        E.g. the first value at a follow-up adds the time point and the value:
        one Undo takes both back.  Each edit still has its audit entry.
        """
        depth = len(self._undo)
        self._steps += 1
        try:
            yield
        finally:
            self._steps -= 1
            if self._steps == 0 and len(self._undo) > depth + 1:
                del self._undo[depth + 1 :]

    def undo(self) -> None:
        """Revert the last edit (no-op when there is none)."""
        if self._undo:
            self._redo.append(self._reading)
            self._set(self._undo.pop())

    def redo(self) -> None:
        """Re-apply the last undone edit (no-op when there is none)."""
        if self._redo:
            self._undo.append(self._reading)
            self._set(self._redo.pop())

    def _set(self, reading: Reading) -> None:
        self._reading = reading
        if self.autosave_path is not None:
            self._protect_autosave()
            save_reading(reading, self.autosave_path)
        self.changed.emit(reading)

    def _protect_autosave(self) -> None:
        """Before the first autosave write: keep an earlier session's unsaved edits.

        An autosave that differs from the reading this session started from was
        left by another session (not recovered): it is renamed, not overwritten.
        """
        if self._autosave_checked or self.autosave_path is None:
            return
        self._autosave_checked = True
        if not self.autosave_path.is_file():
            return
        try:
            held: Reading | None = load_reading(self.autosave_path)
        except RecistError:
            held = None
        if held != self._saved:
            set_aside(self.autosave_path)

    def recover(self, autosave: PendingAutosave) -> None:
        """Take an autosave's reading as the current one (one undoable step).

        The file is not written: the reading stays :attr:`unsaved` until saved.
        """
        self._autosave_checked = True  # the autosave is what we now hold
        when = autosave.written.isoformat(timespec="seconds")
        self.apply(autosave.reading, f"recovered unsaved edits ({when} autosave)")

    def set_criteria(self, criteria: Criteria) -> None:
        """Assess under RECIST 1.1 or iRECIST."""
        c = Criteria(criteria)
        if c is not self._reading.criteria:
            self.apply(dataclasses.replace(self._reading, criteria=c), f"criteria {c}")

    def _baseline(self, **changes: object) -> Reading:
        b = dataclasses.replace(self._reading.baseline, **changes)  # type: ignore[arg-type]
        return dataclasses.replace(self._reading, baseline=b)

    def add_target(
        self,
        site: str,
        measurement: Measurement,
        *,
        nodal: bool = False,
        lesion_id: str | None = None,
        slice_thickness_mm: Decimal | None = None,
    ) -> str:
        """Add a baseline target with its measurement; returns its id."""
        lid = lesion_id or self.next_id("target")
        lesion = Lesion(
            lesion_id=lid,
            role=LesionRole.TARGET,
            site=site,
            nodal=nodal,
            baseline=measurement,
            slice_thickness_mm=slice_thickness_mm,
        )
        targets = (*self._reading.baseline.targets, lesion)
        self.apply(
            self._baseline(targets=targets), f"baseline: add target {lid} {site}"
        )
        return lid

    def add_non_target(
        self, site: str, *, nodal: bool = False, location_lps: PointLPS | None = None
    ) -> str:
        """Add a baseline non-target (where the reader marked it); returns its id."""
        lid = self.next_id("non_target")
        lesion = Lesion(
            lesion_id=lid,
            role=LesionRole.NON_TARGET,
            site=site,
            nodal=nodal,
            location_lps=location_lps,
        )
        nts = (*self._reading.baseline.non_targets, lesion)
        self.apply(
            self._baseline(non_targets=nts), f"baseline: add non-target {lid} {site}"
        )
        return lid

    def update_lesion(self, lesion_id: str, **changes: object) -> None:
        """Change a baseline lesion (site, nodal, baseline measurement...)."""
        b = self._reading.baseline
        found = False

        def upd(ls: tuple[Lesion, ...]) -> tuple[Lesion, ...]:
            nonlocal found
            out = []
            for x in ls:
                if x.lesion_id == lesion_id:
                    found = True
                    x = dataclasses.replace(x, **changes)  # type: ignore[arg-type]
                out.append(x)
            return tuple(out)

        reading = self._baseline(targets=upd(b.targets), non_targets=upd(b.non_targets))
        if not found:
            raise InvalidInputError(f"no baseline lesion {lesion_id!r}")
        what = ", ".join(f"{k}" for k in changes)
        self.apply(reading, f"baseline: {lesion_id} changed ({what})")

    def remove_lesion(self, lesion_id: str) -> None:
        """Remove a baseline lesion and its follow-up values, or a new lesion."""
        r = self._reading
        b = r.baseline
        if lesion_id not in self._all_ids():
            raise InvalidInputError(f"no lesion {lesion_id!r} to delete")
        targets = tuple(x for x in b.targets if x.lesion_id != lesion_id)
        nts = tuple(x for x in b.non_targets if x.lesion_id != lesion_id)
        fups = tuple(
            dataclasses.replace(
                t,
                targets={k: v for k, v in t.targets.items() if k != lesion_id},
                non_targets={k: v for k, v in t.non_targets.items() if k != lesion_id},
                new_lesions=tuple(n for n in t.new_lesions if n.lesion_id != lesion_id),
            )
            for t in r.followups
        )
        reading = dataclasses.replace(
            r,
            baseline=dataclasses.replace(b, targets=targets, non_targets=nts),
            followups=fups,
        )
        self.apply(reading, f"delete {lesion_id}")

    def _all_ids(self) -> list[str]:
        b = self._reading.baseline
        return [x.lesion_id for x in (*b.targets, *b.non_targets)] + (
            self.new_lesion_ids()
        )

    def rename_lesion(self, lesion_id: str, new_id: str) -> None:
        """Give a lesion another id everywhere (baseline, follow-ups, new lesions)."""
        new_id = new_id.strip()
        ids = self._all_ids()
        if lesion_id not in ids:
            raise InvalidInputError(f"no lesion {lesion_id!r} to rename")
        if not new_id:
            raise InvalidInputError("a lesion id cannot be empty")
        if new_id == lesion_id:
            return
        if new_id in ids:
            raise InvalidInputError(f"{new_id} is already a lesion of this reading")

        def ren(x: str) -> str:
            return new_id if x == lesion_id else x

        def ren_m(m: Measurement) -> Measurement:
            if m.coalesced_into is None:
                return m
            return dataclasses.replace(m, coalesced_into=ren(m.coalesced_into))

        r = self._reading
        b = r.baseline
        baseline = dataclasses.replace(
            b,
            targets=tuple(
                dataclasses.replace(x, lesion_id=ren(x.lesion_id)) for x in b.targets
            ),
            non_targets=tuple(
                dataclasses.replace(x, lesion_id=ren(x.lesion_id))
                for x in b.non_targets
            ),
        )
        fups = tuple(
            dataclasses.replace(
                t,
                targets={ren(k): ren_m(v) for k, v in t.targets.items()},
                non_targets={ren(k): v for k, v in t.non_targets.items()},
                new_lesions=tuple(
                    dataclasses.replace(n, lesion_id=ren(n.lesion_id))
                    for n in t.new_lesions
                ),
            )
            for t in r.followups
        )
        reading = dataclasses.replace(r, baseline=baseline, followups=fups)
        self.apply(reading, f"rename {lesion_id} to {new_id}")

    def set_site(self, lesion_id: str, site: str) -> None:
        """Change a lesion's site (TULOC; upper case), at every visit it is listed."""
        site = site.strip().upper()
        if not site:
            raise InvalidInputError("a lesion's site cannot be empty")
        lesion = self.lesion(lesion_id)
        if lesion is not None:
            old = lesion.site
            if old == site:
                return
            reading = self._replace_lesion(lesion_id, site=site)
        else:
            prev = self.new_lesion(lesion_id)
            if prev is None:
                raise InvalidInputError(f"no lesion {lesion_id!r}")
            old = prev.site
            if old == site:
                return
            fups = tuple(
                dataclasses.replace(
                    t,
                    new_lesions=tuple(
                        dataclasses.replace(n, site=site)
                        if n.lesion_id == lesion_id
                        else n
                        for n in t.new_lesions
                    ),
                )
                for t in self._reading.followups
            )
            reading = dataclasses.replace(self._reading, followups=fups)
        self.apply(reading, f"{lesion_id}: site {old} -> {site}")

    def set_location(self, lesion_id: str, location_lps: PointLPS | None) -> None:
        """Mark where a non-target is (LPS mm), so it can be found again."""
        lesion = self.lesion(lesion_id)
        if lesion is None or lesion.role is not LesionRole.NON_TARGET:
            raise InvalidInputError(f"{lesion_id} is not a baseline non-target")
        reading = self._replace_lesion(lesion_id, location_lps=location_lps)
        where = (
            "removed"
            if location_lps is None
            else "({:.1f}, {:.1f}, {:.1f})".format(*location_lps)
        )
        self.apply(reading, f"baseline: {lesion_id} location {where}")

    def _replace_lesion(self, lesion_id: str, **changes: object) -> Reading:
        b = self._reading.baseline

        def upd(ls: tuple[Lesion, ...]) -> tuple[Lesion, ...]:
            return tuple(
                dataclasses.replace(x, **changes)  # type: ignore[arg-type]
                if x.lesion_id == lesion_id
                else x
                for x in ls
            )

        return self._baseline(targets=upd(b.targets), non_targets=upd(b.non_targets))

    def _with_followup(self, date: dt.date, tp: TimePoint) -> Reading:
        others = [t for t in self._reading.followups if t.date != date]
        fups = tuple(sorted((*others, tp), key=lambda t: t.date))
        return dataclasses.replace(self._reading, followups=fups)

    def add_followup(self, date: dt.date, *, study_uids: Iterable[str] = ()) -> None:
        """Record a follow-up time point (kept in date order; no-op if present)."""
        if self.followup(date) is not None:
            return
        if date <= self._reading.baseline.date:
            base = self._reading.baseline.date
            msg = f"a follow-up ({date}) must be after the baseline ({base})"
            raise InvalidInputError(msg)
        tp = TimePoint(date=date, study_uids=tuple(study_uids))
        self.apply(self._with_followup(date, tp), f"{date}: add time point")

    def _tp(self, date: dt.date) -> TimePoint:
        tp = self.followup(date)
        if tp is None:
            raise InvalidInputError(f"no follow-up on {date}: add the time point first")
        return tp

    def set_target_value(
        self, date: dt.date, lesion_id: str, value: Measurement
    ) -> None:
        """Set a target's value at a follow-up (measured, too small, absent = 0, NE)."""
        lesion = self.lesion(lesion_id)
        if lesion is None or lesion.role is not LesionRole.TARGET:
            raise InvalidInputError(f"{lesion_id} is not a baseline target")
        tp = self._tp(date)
        new = dataclasses.replace(tp, targets={**tp.targets, lesion_id: value})
        shown = value.value_mm if value.value_mm is not None else value.kind.value
        self.apply(self._with_followup(date, new), f"{date}: {lesion_id} = {shown}")

    def set_non_target_state(
        self, date: dt.date, lesion_id: str, state: NonTargetState
    ) -> None:
        """Set a non-target's state at a follow-up."""
        lesion = self.lesion(lesion_id)
        if lesion is None or lesion.role is not LesionRole.NON_TARGET:
            raise InvalidInputError(f"{lesion_id} is not a baseline non-target")
        tp = self._tp(date)
        st = NonTargetState(state)
        new = dataclasses.replace(tp, non_targets={**tp.non_targets, lesion_id: st})
        self.apply(self._with_followup(date, new), f"{date}: {lesion_id} {st.value}")

    def add_new_lesion(
        self,
        date: dt.date,
        site: str,
        *,
        equivocal: bool = False,
        measurable: bool = False,
        nodal: bool = False,
        diameter_mm: Decimal | None = None,
        image: ImageRef | None = None,
        endpoints_lps: tuple[PointLPS, ...] = (),
        lesion_id: str | None = None,
    ) -> str:
        """List a new lesion at a follow-up (or update one by id); returns its id."""
        tp = self._tp(date)
        lid = lesion_id or self.next_id("new")
        nl = NewLesion(
            lesion_id=lid,
            site=site,
            equivocal=equivocal,
            measurable=measurable,
            nodal=nodal,
            diameter_mm=diameter_mm,
            image=image,
            endpoints_lps=endpoints_lps,
        )
        news = (*tuple(n for n in tp.new_lesions if n.lesion_id != lid), nl)
        new = dataclasses.replace(tp, new_lesions=news)
        kind = "equivocal new lesion" if equivocal else "new lesion"
        self.apply(self._with_followup(date, new), f"{date}: {kind} {lid} {site}")
        return lid

    # -- proposals (recist propagate) ---------------------------------------------
    def proposals_at(self, date: dt.date) -> tuple[Proposal, ...]:
        """Proposals by registration waiting for the reader at a time point."""
        return tuple(p for p in self._reading.proposals if p.date == date)

    def accept_proposal(
        self, date: dt.date, lesion_id: str, measurement: Measurement | None = None
    ) -> None:
        """Record a proposal (or the reader's adjustment of it) as measured.

        One undo step; the audit entry says "proposed by registration, accepted
        by R" (or "adjusted by R"), see :func:`recist.tracking.accept_proposal`.
        """
        from recist.tracking import accept_proposal

        done = accept_proposal(
            self._reading, lesion_id, date, reader=self.who, measurement=measurement
        )
        what = done.audit[-1].what
        self.apply(dataclasses.replace(done, audit=done.audit[:-1]), what)

    def reject_proposal(self, date: dt.date, lesion_id: str) -> None:
        """Drop a proposal (nothing measured), audited; one undo step."""
        from recist.tracking import reject_proposal

        done = reject_proposal(self._reading, lesion_id, date, reader=self.who)
        what = done.audit[-1].what
        self.apply(dataclasses.replace(done, audit=done.audit[:-1]), what)

    # -- files --------------------------------------------------------------------
    def save(self, path: Path | str | None = None) -> Path:
        """Write the reading atomically (to ``path`` or the session's path)."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise InvalidInputError("no file to save to: give a path")
        save_reading(self._reading, target)
        self.path = target
        self._saved = self._reading
        return target


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reader"


__all__ += ["check_images"]
