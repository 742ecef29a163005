"""Output files that appear whole or not at all.

Every writer of the package writes to a temporary file in the target's folder
and moves it into place with :func:`os.replace`, so a failure or an interrupt
midway leaves the previous file (or no file) and never a partial one.  The
temporary file keeps the target's suffix (``.nii.gz``, ``.pdf``, ``.xpt``) for
writers that choose their format by name.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from recist.errors import OutputPathError

__all__ = ["check_output_dir", "check_output_file", "replacing"]


def _suffix(path: Path) -> str:
    """Return the full suffix (``.nii.gz``): some writers choose by name."""
    return "".join(path.suffixes[-2:]) if path.name.endswith(".gz") else path.suffix


def check_output_file(path: str | Path) -> Path:
    """Refuse an output file path that cannot be written before any work is done.

    Parameters
    ----------
    path : str or Path
        The file to write (it may exist; it is replaced).

    Returns
    -------
    Path

    Raises
    ------
    OutputPathError
        ``path`` is a folder, or its folder does not exist or is not a folder.

    Examples
    --------
    >>> check_output_file("/no/such/x.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    recist.errors.OutputPathError: /no/such/x.json: the folder ... does not exist
    """
    out = Path(path)
    if out.is_dir():
        raise OutputPathError(out, "is a folder; give a file name")
    parent = out.parent
    if not parent.exists():
        raise OutputPathError(out, f"the folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputPathError(out, f"{parent} is not a folder")
    return out


def check_output_dir(path: str | Path) -> Path:
    """Create an output folder (with its parents) or refuse a file in its place.

    Raises
    ------
    OutputPathError
        ``path`` (or one of its parents) is an existing file.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputPathError(out, "is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputPathError(out, "a parent is a file, not a folder") from None
    return out


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it onto ``path``.

    On any exception the temporary file is removed and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with replacing(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("whole")
    >>> (d / "a.txt").read_text()
    'whole'
    >>> try:
    ...     with replacing(d / "a.txt") as tmp:
    ...         _ = tmp.write_text("part")
    ...         raise KeyboardInterrupt
    ... except KeyboardInterrupt:
    ...     pass
    >>> (d / "a.txt").read_text(), sorted(p.name for p in d.iterdir())
    ('whole', ['a.txt'])
    """
    out = check_output_file(path)
    fd, name = tempfile.mkstemp(
        prefix=f".{out.name}.", suffix=f".tmp{_suffix(out)}", dir=out.parent
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
