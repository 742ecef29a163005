"""``recist view --store STORE --reader R --subject S``: a read from a review store.

The reader logs in (password from the terminal or one line of standard input),
sees their worklist, and their read of the subject is written to a reading file
in ``$RECIST_HOME/store/`` that the workstation opens as usual.  When the
workstation closes, a changed file is saved back into the store as that read,
based on the version that was opened: the store refuses a stale write (the read
changed meanwhile) and edits to signed or not-yet-unlocked time points, and the
file is kept so that nothing is lost.  Blinding holds: only the reader's own
read is opened.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["StoreRead", "checkin", "checkout"]


@dataclass(frozen=True, slots=True)
class StoreRead:
    """A read checked out of a store into a reading file."""

    store: str
    actor: Any
    subject: str
    version: int
    path: Path
    text: str | None  # the file as written at checkout (None: no read yet)
    images: Path | None


def _home() -> Path:
    base = os.environ.get("RECIST_HOME") or Path.home() / ".local/share/recist"
    return Path(base) / "store"


def checkout(
    store: str, reader: str, subject: str, password: str
) -> tuple[StoreRead, list[str]]:
    """Log in, return the read as a file and the reader's worklist lines."""
    from recist.formats.reading import save_reading
    from recist.store import ReviewStore

    with ReviewStore.open(store) as st:
        actor = st.authenticate(reader, password)
        view = st.load_read(actor, subject)
        items = st.worklist(actor)
    lines = [
        f"{i.usubjid:<16} {i.slot:<4} {i.signed}/{i.n_timepoints} "
        f"{i.next_date or '-':<11} {i.state}"
        for i in items
    ]
    folder = _home()
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in subject)
    path = folder / f"{safe}_{reader}.json"
    text = None
    if view.reading is not None:
        save_reading(view.reading, path)
        text = path.read_text(encoding="utf-8")
    else:
        path.unlink(missing_ok=True)
    local = [Path(p) for p in view.images if p and Path(p).exists()]
    images = Path(os.path.commonpath(local)) if local else None
    read = StoreRead(
        store=store,
        actor=actor,
        subject=subject,
        version=view.version,
        path=path,
        text=text,
        images=images,
    )
    return read, lines


def checkin(read: StoreRead) -> int | None:
    """Save the file back if it changed; return the new version (None: unchanged)."""
    from recist.formats.reading import load_reading
    from recist.store import ReviewStore

    if not read.path.exists():
        return None
    if read.path.read_text(encoding="utf-8") == read.text:
        return None
    reading = load_reading(read.path)
    with ReviewStore.open(read.store) as st:
        return int(
            st.save_read(
                read.actor, read.subject, reading, expected_version=read.version
            )
        )
