"""Unsaved work: reading the autosave back, and never overwriting it unread.

A :class:`~viewer._session.ReadingSession` writes every edit to
``<reading>.autosave.json``.  When the workstation stops without saving (a
crash, a killed process, "Discard" on close), that file holds edits the
reading file does not.  :func:`pending_autosave` finds it on opening, so the
reader can be offered the edits back; :func:`set_aside` renames it (it is
never deleted) when the reader keeps the saved reading instead.  No Qt here.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from recist.errors import RecistError
from recist.formats.reading import load_reading
from recist.model import Reading

__all__ = ["PendingAutosave", "autosave_path_for", "pending_autosave", "set_aside"]

log = logging.getLogger(__name__)


def autosave_path_for(reading_path: Path | str) -> Path:
    """Return the autosave file of a reading file (``<name>.autosave.json``)."""
    p = Path(reading_path)
    return p.with_name(p.name + ".autosave.json")


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingAutosave:
    """An autosave holding edits that the reading file does not.

    Parameters
    ----------
    path : Path
        The autosave file.
    reading_path : Path
        The reading file it belongs to (may not exist: never saved).
    reading : Reading
        What the autosave holds.
    written : datetime.datetime
        When the autosave was last written (UTC, from the file system).
    """

    path: Path
    reading_path: Path
    reading: Reading
    written: dt.datetime

    def describe(self) -> str:
        """One line for the reader: what, where, when."""
        when = self.written.astimezone().strftime("%Y-%m-%d %H:%M")
        saved = "newer than" if self.reading_path.exists() else "never saved to"
        return f"unsaved edits from {when} in {self.path} ({saved} {self.reading_path})"


def _mtime(path: Path) -> float:
    return path.stat().st_mtime


def pending_autosave(
    reading_path: Path | str, autosave_path: Path | str | None = None
) -> PendingAutosave | None:
    """Return the autosave of a reading when it holds edits the file lacks.

    It is pending when it exists, reads as a reading, was written no earlier
    than the reading file and differs from it (or the reading file does not
    exist).  An unreadable autosave is logged and left alone.
    """
    rpath = Path(reading_path)
    apath = Path(autosave_path) if autosave_path else autosave_path_for(rpath)
    if not apath.is_file():
        return None
    try:
        held = load_reading(apath)
    except RecistError as exc:
        log.warning("autosave %s cannot be read back: %s", apath, exc)
        return None
    if rpath.is_file():
        if _mtime(apath) < _mtime(rpath):
            return None
        try:
            if load_reading(rpath) == held:
                return None
        except RecistError:
            pass  # the reading file is broken: the autosave is worth offering
    written = dt.datetime.fromtimestamp(_mtime(apath), tz=dt.UTC)
    return PendingAutosave(
        path=apath, reading_path=rpath, reading=held, written=written
    )


def set_aside(autosave: Path | str) -> Path:
    """Rename an autosave to ``<name>.autosave-<UTC time>.json``; return the new path.

    Used when the reader keeps the saved reading: the edits stay on disk, and
    the next edit does not overwrite them.
    """
    src = Path(autosave)
    stamp = dt.datetime.fromtimestamp(_mtime(src), tz=dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    stem = src.name.removesuffix(".json")
    dest = src.with_name(f"{stem}-{stamp}.json")
    n = 1
    while dest.exists():
        n += 1
        dest = src.with_name(f"{stem}-{stamp}-{n}.json")
    os.replace(src, dest)
    log.info("autosave %s kept as %s", src, dest)
    return dest
