"""Export a review store: complete reads, accepted reads and SDTM TU/TR/RS.

``OUTDIR/readings/<USUBJID>_R1.json`` and ``_R2.json``: every complete read
(all time points signed), as reading files whose ``reader`` is
``INDEPENDENT ASSESSOR/RADIOLOGIST 1`` or ``2``.  ``OUTDIR/accepted/<USUBJID>.json``:
the accepted read of each decided subject (reads agree: read 1, the read of
record; adjudicated: the read the adjudicator chose) -- the folder
``recist summary`` takes.  ``OUTDIR/sdtm/``: TU, TR and RS of both reads
(``RSEVAL = INDEPENDENT ASSESSOR``, ``RSEVALID = RADIOLOGIST 1/2``) and, for an
adjudicated subject, the chosen read's responses again under ``RSEVALID =
ADJUDICATOR``; ``RSACPTFL = Y`` marks the accepted records (read 1's when the
reads agree, the adjudicator's otherwise), one per subject, visit and test.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from recist.errors import RecistError
from recist.model import Reading
from recist.store._workflow import ReviewStore

__all__ = ["ReviewExport", "export_review"]

EVAL = "INDEPENDENT ASSESSOR"


@dataclass(slots=True)
class ReviewExport:
    """What :func:`export_review` wrote, and the subjects it left out (why)."""

    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    n_decided: int = 0


def export_review(
    store: ReviewStore,
    outdir: str | Path,
    *,
    studyid: str = "RECIST",
    fmt: str = "csv",
    sr: bool = False,
) -> ReviewExport:
    """Write readings, accepted reads and SDTM of a store into ``outdir``.

    With ``sr``, also ``OUTDIR/sr/<USUBJID>_R1/`` and ``_R2/``: each complete
    read's DICOM SRs (TID 1500, one per time point), for subjects whose time
    points are local image folders.
    """
    from recist._atomic import check_output_dir
    from recist.export.sdtm import to_sdtm, write_sdtm
    from recist.formats.reading import save_reading

    out = Path(outdir)
    check_output_dir(out)
    result = ReviewExport()
    for folder in ("readings", "accepted"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    statuses = {s.usubjid: s for s in store.status()}
    for usubjid, slot, _reader, reading, signed in store.all_reads():
        if reading is None or signed < statuses[usubjid].n_timepoints:
            continue
        path = out / "readings" / f"{_safe(usubjid)}_R{slot}.json"
        labelled = replace(reading, reader=f"{EVAL}/RADIOLOGIST {slot}")
        save_reading(labelled, path)
        result.files.append(path)
        if sr:
            result.files += _export_sr(store, usubjid, slot, labelled, out, result)
    readings: list[Reading] = []
    accepted: list[bool] = []
    for usubjid, slot, r1, r2 in store.accepted_reads():
        result.n_decided += 1
        adjudicated = statuses[usubjid].state == "adjudicated"
        chosen = r1 if slot == 1 else r2
        path = out / "accepted" / f"{_safe(usubjid)}.json"
        save_reading(replace(chosen, reader=f"{EVAL}/RADIOLOGIST {slot}"), path)
        result.files.append(path)
        readings += [
            replace(r1, reader=f"{EVAL}/RADIOLOGIST 1"),
            replace(r2, reader=f"{EVAL}/RADIOLOGIST 2"),
        ]
        accepted += [not adjudicated, False]
        if adjudicated:
            readings.append(replace(chosen, reader=f"{EVAL}/ADJUDICATOR"))
            accepted.append(True)
    for s in statuses.values():
        if s.accepted_slot is None:
            result.skipped.append(f"{s.usubjid}: {s.state}")
    if readings:
        sdtm = to_sdtm(readings, studyid=studyid, accepted=accepted)
        # the adjudicator chose a read and measured nothing: no TU/TR of their own
        sdtm.tu[:] = [r for r in sdtm.tu if r["TUEVALID"] != "ADJUDICATOR"]
        sdtm.tr[:] = [r for r in sdtm.tr if r["TREVALID"] != "ADJUDICATOR"]
        for rows, seq in ((sdtm.tu, "TUSEQ"), (sdtm.tr, "TRSEQ")):
            counters: dict[str, int] = {}
            for row in rows:
                counters[row["USUBJID"]] = counters.get(row["USUBJID"], 0) + 1
                row[seq] = counters[row["USUBJID"]]
        result.files += write_sdtm(sdtm, out / "sdtm", fmt=fmt)
    return result


def _safe(usubjid: str) -> str:
    """Make a file name of a USUBJID (path separators and odd characters replaced).

    >>> _safe("01-701/1015")
    '01-701_1015'
    """
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in usubjid)


def _export_sr(
    store: ReviewStore,
    usubjid: str,
    slot: int,
    reading: Reading,
    out: Path,
    result: ReviewExport,
) -> list[Path]:
    import os

    from recist.export.sr import export_sr

    paths = [t.image_path for t in store.timepoints(usubjid)]
    if not all(paths):
        result.skipped.append(f"{usubjid} R{slot}: SR needs local images")
        return []
    images = os.path.commonpath([str(p) for p in paths])
    folder = out / "sr" / f"{_safe(usubjid)}_R{slot}"
    folder.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    try:
        written = export_sr(reading, images, folder, notes=notes)
    except RecistError as exc:  # e.g. a read typed in without image references
        result.skipped.append(f"{usubjid} R{slot}: no SR: {exc}")
        return []
    result.skipped += [f"{usubjid} R{slot} SR: {n}" for n in notes]
    return written
