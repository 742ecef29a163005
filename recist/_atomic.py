"""Output files that appear whole or not at all, one file or a set.

Every writer of the package writes to a temporary file in the target's folder
and moves it into place with :func:`os.replace`, so a failure or an interrupt
midway leaves the previous file (or no file) and never a partial one.  The
temporary file keeps the target's suffix (``.nii.gz``, ``.pdf``, ``.xpt``) for
writers that choose their format by name.

- :func:`replacing` is the single-file writer.  It can check what the writer
  produced before it replaces anything (``verify``): ITK's NIfTI writer only
  prints an error on a full disk and leaves a short file.
- :func:`replacing_dir` writes a *set* of files (SDTM TU/TR/RS, ADaM, the
  efficacy summary with its plots, imported masks): the set is written into a
  temporary sibling folder and swapped in with one ``renameat2(RENAME_EXCHANGE)``,
  so a reader sees the whole old set or the whole new one.  Files in the folder
  that are not part of the set are carried over (hard links).  The folder is
  locked (``flock``) for the time of the write: a second writer gets
  :class:`~recist.errors.OutputBusyError` at once (exit 2) instead of mixing
  its files with the first one's.
- :func:`replacing_files` commits files in different folders together (the
  subject report's PDF and HTML): all are written first, then moved in one after
  the other.
- New files get ``0666 & ~umask`` (new folders ``0777 & ~umask``); a replaced
  file or folder keeps its mode.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from recist.errors import OutputBusyError, OutputPathError, OutputWriteError

__all__ = [
    "check_output_dir",
    "check_output_file",
    "new_file_mode",
    "replacing",
    "replacing_dir",
    "replacing_files",
]

Verify = Callable[[Path], None]
"""Checks a written temporary file; raises :class:`OutputWriteError` if wrong."""


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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode(path: str | Path, *, folder: bool = False) -> int:
    """Return the mode an output at ``path`` gets: its own, or the umask's.

    A file (or folder) being replaced keeps its permission bits; a new one gets
    ``0o666`` (``0o777`` for a folder) less the process umask, as ``open()``
    and ``mkdir`` would give it.

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> old = os.umask(0o027)
    >>> oct(new_file_mode("/no/such/file"))
    '0o640'
    >>> _ = os.umask(old)
    """
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return (0o777 if folder else 0o666) & ~_umask()


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # not possible on every file system
        pass
    finally:
        os.close(fd)


def _check_written(tmp: Path, out: Path, verify: Verify | None) -> None:
    if not tmp.is_file():
        raise OutputWriteError(out, "the writer produced no file; nothing replaced")
    if tmp.stat().st_size == 0:
        raise OutputWriteError(out, "the writer produced an empty file (disk full?)")
    if verify is not None:
        verify(tmp)


@contextmanager
def replacing(path: str | Path, *, verify: Verify | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it onto ``path``.

    On any exception the temporary file is removed and ``path`` is untouched.
    Before the move, the written file must exist and not be empty, and
    ``verify(tmp)`` (if given) must not raise; then it is fsync'ed and gets the
    mode of the file it replaces (or ``0666 & ~umask``).

    Parameters
    ----------
    path : str or Path
        The file to write.
    verify : callable, optional
        ``verify(tmp)`` checks what the writer produced (e.g. reads it back)
        and raises :class:`~recist.errors.OutputWriteError` if it is wrong.

    Raises
    ------
    OutputWriteError
        The writer produced no file, an empty one, or one ``verify`` refused;
        the previous file is kept.

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
        _check_written(tmp, out, verify)
        os.chmod(tmp, new_file_mode(out))
        _fsync(tmp)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def replacing_files(paths: Sequence[str | Path]) -> Iterator[list[Path]]:
    """Yield temporary paths for several files; move them all in at the end.

    Every file is written (and checked non-empty) before the first one is moved,
    so an error or an interrupt while writing leaves all the previous files.
    For files in one folder prefer :func:`replacing_dir`, which swaps the set
    in one step.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with replacing_files([d / "a.txt", d / "b.txt"]) as (a, b):
    ...     _ = a.write_text("A"), b.write_text("B")
    >>> sorted(p.name for p in d.iterdir())
    ['a.txt', 'b.txt']
    """
    outs = [check_output_file(p) for p in paths]
    tmps: list[Path] = []
    try:
        for out in outs:
            fd, name = tempfile.mkstemp(
                prefix=f".{out.name}.", suffix=f".tmp{_suffix(out)}", dir=out.parent
            )
            os.close(fd)
            tmps.append(Path(name))
        yield list(tmps)
        for tmp, out in zip(tmps, outs, strict=True):
            _check_written(tmp, out, None)
            os.chmod(tmp, new_file_mode(out))
            _fsync(tmp)
        for tmp, out in zip(tmps, outs, strict=True):
            os.replace(tmp, out)
    except BaseException:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)
        raise


# ------------------------------------------------------------- sets of files

_TAG = ".recist-"  # the temporary sibling: .<name>.recist-new-XXXX


def _renameat2_exchange() -> Callable[[Path, Path], bool]:
    """Return ``exchange(a, b) -> bool``: swap two paths atomically if possible."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):  # not Linux / old glibc

        def unsupported(a: Path, b: Path) -> bool:
            return False

        return unsupported
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    fn.argtypes.append(ctypes.c_uint)
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2

    def exchange(a: Path, b: Path) -> bool:
        rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
        if rc == 0:
            return True
        err = ctypes.get_errno()
        if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            return False  # the file system cannot exchange: fall back
        raise OSError(err, os.strerror(err), str(b))

    return exchange


_exchange = _renameat2_exchange()


def _lock_folder(out: Path) -> int:
    """Create ``out`` if needed and ``flock`` it; return the locked descriptor."""
    for _ in range(10):
        check_output_dir(out)
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputBusyError(
                out,
                "another recist process is writing this folder; nothing written "
                "(run again when it has finished)",
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:  # the folder we locked may have been swapped away meanwhile
            same = os.stat(out).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
    raise OutputBusyError(out, "the folder keeps being replaced by another process")


def _clear_stale(out: Path) -> None:
    """Remove temporaries an interrupted writer of ``out`` left (lock held)."""
    prefix = f".{out.name}{_TAG}"
    for entry in out.parent.iterdir():
        if entry.name.startswith(prefix) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _carry_over(src: Path, dst: Path) -> None:
    """Hard-link ``src``'s tree into ``dst`` (folders are recreated)."""
    for entry in os.scandir(src):
        target = dst / entry.name
        if entry.is_dir(follow_symlinks=False):
            target.mkdir(mode=stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode))
            _carry_over(Path(entry.path), target)
            continue
        try:
            os.link(entry.path, target, follow_symlinks=False)
        except OSError:  # no hard links here (protected_hardlinks, EXDEV)
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), target)
            else:
                shutil.copy2(entry.path, target)


def _swap_in_place(tmp: Path, out: Path, drop: Collection[str]) -> None:
    for name in drop:
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()
    for entry in tmp.iterdir():
        target = out / entry.name
        if entry.is_dir() and target.is_dir():
            shutil.rmtree(target)
        os.replace(entry, target)
    tmp.rmdir()


def _is_mount_point(path: Path) -> bool:
    try:
        return os.stat(path).st_dev != os.stat(path.parent).st_dev
    except OSError:
        return False


def _holds_cwd(path: Path) -> bool:
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return False
    target = path.resolve()
    return cwd == target or target in cwd.parents


@contextmanager
def replacing_dir(
    path: str | Path, *, owns: Callable[[str], bool] | None = None
) -> Iterator[Path]:
    """Write a set of files into a temporary folder and swap it in at the end.

    The body writes the set into the yielded empty folder (a sibling of
    ``path``, so on the same file system).  On success, entries of ``path``
    that the body did not write are carried over (hard links; except names
    ``owns(name)`` claims: files of an earlier set that this one no longer
    has, e.g. ``tu.xpt`` after a CSV-only export), and the folders are swapped
    with ``renameat2(RENAME_EXCHANGE)``: readers see the old set or the new set,
    never a mixture, whatever moment the process is killed.  On an exception
    nothing changes.  While the body runs, ``path`` is locked with ``flock``.

    Where the folder cannot be swapped (it is a mount point, holds the current
    folder, or the file system cannot exchange names), the finished set is moved
    in file by file: still never a partial file, but not one step.

    Parameters
    ----------
    path : str or Path
        The output folder; created (with its parents) if missing.
    owns : callable, optional
        ``owns(name) -> bool`` for names in ``path`` that belong to this kind
        of set and are dropped when the new set does not have them.

    Raises
    ------
    OutputBusyError
        Another process holds the folder's lock (exit 2; nothing written).
    OutputPathError
        ``path`` is a file, or a parent is.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with replacing_dir(d) as tmp:
    ...     _ = (tmp / "tu.csv").write_text("new"), (tmp / "tr.csv").write_text("new")
    >>> sorted(p.name for p in d.iterdir())
    ['tr.csv', 'tu.csv']
    """
    # the real folder: a symlink to it stays a symlink, and "." has a name
    out = Path(os.path.realpath(path))
    existed = out.is_dir()
    fd = _lock_folder(out)
    tmp: Path | None = None
    try:
        _clear_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}{_TAG}new-", dir=out.parent))
        os.chmod(tmp, new_file_mode(out, folder=True) if existed else _dir_mode())
        yield tmp
        written = {p.name for p in tmp.iterdir()}
        _keep_modes(tmp, out)
        dropped = [
            e.name
            for e in out.iterdir()
            if e.name not in written and owns is not None and owns(e.name)
        ]
        if _is_mount_point(out) or _holds_cwd(out):
            _swap_in_place(tmp, out, dropped)
            return
        for entry in out.iterdir():
            if entry.name in written or entry.name in dropped:
                continue
            if entry.is_dir() and not entry.is_symlink():
                sub = tmp / entry.name
                sub.mkdir(mode=stat.S_IMODE(entry.stat().st_mode))
                _carry_over(entry, sub)
            else:
                _carry_over_one(entry, tmp / entry.name)
        _fsync(tmp)
        if _exchange(tmp, out):
            shutil.rmtree(tmp, ignore_errors=True)  # now the old set
        else:
            _swap_in_place(tmp, out, dropped)
        _fsync(out.parent)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if not existed:
            with contextlib.suppress(OSError):
                out.rmdir()  # only if still empty
        raise
    finally:
        os.close(fd)


def _keep_modes(new: Path, old: Path) -> None:
    """Give each written file the mode of the file it replaces."""
    for dirpath, _dirs, files in os.walk(new):
        for name in files:
            written = Path(dirpath, name)
            previous = old / written.relative_to(new)
            try:
                mode = stat.S_IMODE(os.lstat(previous).st_mode)
            except OSError:
                continue
            if previous.is_file():
                os.chmod(written, mode)


def _dir_mode() -> int:
    return 0o777 & ~_umask()


def _carry_over_one(entry: Path, target: Path) -> None:
    try:
        os.link(entry, target, follow_symlinks=False)
    except OSError:
        if entry.is_symlink():
            os.symlink(os.readlink(entry), target)
        else:
            shutil.copy2(entry, target)
