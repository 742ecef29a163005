"""``recist push URL FILE|DIR ...``: send DICOM (SR, SEG, images) to a DICOMweb server.

STOW-RS (PS3.18 §10.5): every DICOM file given, or found under a folder given,
is stored on the server; what it accepted and refused is printed, and the exit
status is 1 when anything was refused (2 on bad input or an unreachable server).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_subparser", "dicom_files", "push", "run"]


def add_subparser(subparsers: Any) -> None:
    """Register ``push`` on the ``recist`` command line."""
    p = subparsers.add_parser(
        "push",
        help="send DICOM files (SR, SEG, images) to a DICOMweb server (STOW-RS)",
        description="Store DICOM files on a DICOMweb service (STOW-RS): the "
        "files given, and every DICOM file under the folders given.",
    )
    p.add_argument("url", help="DICOMweb root, e.g. http://localhost:8042/dicom-web")
    p.add_argument("paths", nargs="+", metavar="FILE|DIR", help="what to send")
    from recist.commands.fetch import add_connection_options

    add_connection_options(p, timeout_s=60.0)
    p.set_defaults(func=run)


def dicom_files(paths: list[str]) -> list[Path]:
    """Return the files to send: those named, and DICOM files under folders.

    Raises
    ------
    InvalidInputError
        A path that does not exist, or nothing to send.
    """
    from recist.errors import InvalidInputError

    out: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_file():
            out.append(path)
            continue
        if not path.is_dir():
            raise InvalidInputError(f"{item}: no such file or folder", location=item)
        for root, dirs, names in os.walk(path):
            dirs.sort()
            for name in sorted(names):
                f = Path(root) / name
                if f.is_file() and not f.is_symlink() and _is_dicom(f):
                    out.append(f)
    if not out:
        raise InvalidInputError("no DICOM file to send", location="paths")
    return out


def _is_dicom(path: Path) -> bool:
    """Whether a file has the DICOM preamble and ``DICM`` prefix (PS3.10 §7.1)."""
    try:
        with path.open("rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:] == b"DICM"


def push(url: str, paths: list[str], *, headers: dict[str, str], timeout_s: float):
    """Send the files under ``paths`` to ``url``; return the StoreResult."""
    from recist.dicom._web import DicomWebSource

    source = DicomWebSource(url, headers=headers, timeout_s=timeout_s)
    return source.store(dicom_files(paths))


def report(result: Any, *, as_json: bool) -> int:
    """Print a StoreResult; return 0, or 1 when the server refused something."""
    if as_json:
        doc = {
            "stored": list(result.stored),
            "failed": [{"sop_uid": u, "reason": r} for u, r in result.failed],
        }
        print(json.dumps(doc, indent=2))
    else:
        from recist._text import printable  # the UIDs come from the server

        for uid, reason in result.failed:
            print(f"refused: {printable(uid)} ({printable(reason)})", file=sys.stderr)
        print(f"{len(result.stored)} stored, {len(result.failed)} refused")
    return 1 if result.failed else 0


def run(args: argparse.Namespace) -> int:
    """Run ``recist push``; 2 on bad input or a failed request."""
    from recist.commands.fetch import parse_headers

    result = push(
        args.url,
        args.paths,
        headers=parse_headers(args.header),
        timeout_s=args.timeout,
    )
    return report(result, as_json=args.json)
