"""``recist fetch URL``: list or download studies from a DICOMweb server (PACS).

- ``recist fetch URL --list [--patient ID] [--json]``: the studies.
- ``recist fetch URL --list --study UID [--json]``: the series of one study.
- ``recist fetch URL --study UID [--series UID] OUT``: download into ``OUT``
  (``OUT/<study>/<series>/<sop>.dcm``; instances already there are kept; one
  series-level WADO-RS request per series).
- ``recist fetch URL --patient ID OUT``: every study of one patient.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from recist import _json as strict_json

__all__ = ["add_subparser", "format_rows", "parse_headers", "run"]


class _IntermixedParser(argparse.ArgumentParser):
    """A parser that takes ``URL --study UID OUT``: positionals after options.

    Plain argparse gives an optional positional (``OUT``) its default as soon as
    ``URL`` is read, so a later ``OUT`` is "unrecognized"; intermixed parsing
    (:meth:`argparse.ArgumentParser.parse_known_intermixed_args`) fixes that.
    """

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._intermixing:  # the inner passes of the intermixed parse
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def add_subparser(subparsers: Any) -> None:
    """Register ``fetch`` on the ``recist`` command line."""
    p = subparsers.add_parser(
        "fetch",
        help="list or download studies from a DICOMweb server (PACS, Orthanc)",
        description="Search a DICOMweb service (QIDO-RS) or download a study or "
        "series (WADO-RS) into a folder that 'recist info' and the viewer read. "
        "Instances already in the folder are not downloaded again.",
    )
    p.add_argument("url", help="DICOMweb root, e.g. http://localhost:8042/dicom-web")
    p.add_argument("out", nargs="?", help="folder to download into (not with --list)")
    p.add_argument(
        "--list",
        action="store_true",
        help="list the studies (or, with --study, its series) instead of downloading",
    )
    p.add_argument(
        "--patient",
        metavar="ID",
        help="this PatientID: with --list its studies, else download them all",
    )
    p.add_argument("--study", metavar="UID", help="Study Instance UID")
    p.add_argument("--series", metavar="UID", help="Series Instance UID (default: all)")
    add_connection_options(p, timeout_s=20.0)
    p.set_defaults(func=run)
    p.__class__ = _IntermixedParser


def add_connection_options(p: argparse.ArgumentParser, *, timeout_s: float) -> None:
    """Add ``--header``, ``--timeout`` and ``--json`` (fetch and push share them)."""
    p.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra HTTP header, e.g. 'Authorization: Bearer ...' (repeatable)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=timeout_s,
        metavar="S",
        help="seconds per request, the whole answer included (finite, > 0)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def parse_headers(items: Sequence[str]) -> dict[str, str]:
    """Turn ``["Name: value", ...]`` into a header mapping.

    Examples
    --------
    >>> parse_headers(["Authorization: Bearer abc", "X-Site:  7"])
    {'Authorization': 'Bearer abc', 'X-Site': '7'}
    """
    from recist.errors import InvalidInputError

    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            msg = f"--header must be 'NAME: VALUE', got {item!r}"
            raise InvalidInputError(msg, location="--header")
        out[name.strip()] = value.strip()
    return out


def format_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Render records as an aligned text table (lists joined with ``/``).

    Control characters from the server (terminal escape sequences) are
    escaped (:func:`recist._text.printable`).

    Examples
    --------
    >>> print(format_rows([{"a": "x", "b": ["CT", "SR"]}], ["a", "b"]))
    a  b
    x  CT/SR
    """
    from recist._text import printable  # what the server says, made safe

    cells = [
        [
            printable(
                "/".join(map(str, v))
                if isinstance(v := row.get(c), list)
                else ("-" if v in (None, "") else str(v))
            )
            for c in columns
        ]
        for row in rows
    ]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells
    ]
    return "\n".join(line.rstrip() for line in lines)


_STUDY_COLUMNS = (
    "patient_id",
    "date",
    "modalities",
    "n_series",
    "description",
    "study_uid",
)
_SERIES_COLUMNS = ("number", "modality", "n_instances", "description", "series_uid")


def _usage(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """List or download; 2 on bad arguments or any DICOMweb failure."""
    from recist.dicom import DicomWebSource

    source = DicomWebSource(
        args.url, headers=parse_headers(args.header), timeout_s=args.timeout
    )
    if args.list:
        if args.out is not None:
            return _usage("--list takes no output folder")
        if args.series is not None:
            return _usage("--list lists studies, or with --study its series")
        if args.study is not None:
            series = source.series(args.study)
            if not series:
                return _usage(f"{source.url}: no series found for study {args.study}")
            if args.json:
                print(strict_json.dumps(series, indent=2))
            else:
                print(format_rows(series, _SERIES_COLUMNS))
            return 0
        studies = source.studies(patient_id=args.patient)
        if args.json:
            print(strict_json.dumps(studies, indent=2))
        else:
            print(format_rows(studies, _STUDY_COLUMNS))
            print(f"{len(studies)} stud{'y' if len(studies) == 1 else 'ies'}")
        return 0
    if args.patient is not None and args.study is not None:
        return _usage("give --study UID or --patient ID, not both")
    if args.patient is not None and args.series is not None:
        return _usage("--series is for one study (--study)")
    if (args.study is None and args.patient is None) or args.out is None:
        return _usage("give --study UID (or --patient ID) and an output folder")
    if args.patient is not None:  # every study of the patient
        studies = [s["study_uid"] for s in source.studies(patient_id=args.patient)]
        if not studies:
            return _usage(f"{source.url}: no study of patient {args.patient!r}")
    else:
        studies = [args.study]
    files: list[str] = []
    downloaded = cached = 0
    for study in studies:
        result = source.retrieve_report(study, args.series, dest=args.out)
        files += [str(p) for p in result.files]
        downloaded += result.downloaded
        cached += result.cached
    if args.json:
        doc = {"files": files, "downloaded": downloaded, "cached": cached}
        print(strict_json.dumps(doc, indent=2))
    else:
        what = f"{len(studies)} stud{'y' if len(studies) == 1 else 'ies'}, "
        print(
            f"{what}{len(files)} instance(s) in {args.out}: "
            f"{downloaded} downloaded, {cached} already there"
        )
    return 0
