"""``recist review``: blinded independent central review (BICR) in a reading store.

The store is a SQLite file (``trial.db``) or a PostgreSQL URL
(``postgresql+psycopg://user@host/db``).  Administration (``init``,
``add-reader``, ``add-subjects``, ``assign``, ``export``, ``audit``) is done by
whoever can write the store and is audited under the operating-system account;
reading, signing and adjudicating need the reader's password, read from a
prompt (or one line of standard input), never from the command line.

Workflow: ``init`` -> ``add-reader`` (readers, an adjudicator) ->
``add-subjects FOLDER`` -> ``assign`` -> per reader ``worklist``, then per time
point in order ``save`` (a reading file, up to that time point) and ``sign`` ->
``status`` lists subjects waiting for adjudication -> ``adjudicate`` ->
``export`` (readings, accepted reads for ``recist summary``, SDTM).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

__all__ = ["add_subparser"]


def _password(prompt: str = "password: ") -> str:
    """Read a password from the terminal, or one line of standard input."""
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def _open(args: argparse.Namespace) -> Any:
    from recist.store import ReviewStore

    return ReviewStore.open(args.store)


def _login(store: Any, name: str) -> Any:
    return store.authenticate(name, _password(f"password for {name}: "))


def _init(args: argparse.Namespace) -> int:
    from recist.model import Options
    from recist.store import Charter, ReviewStore

    charter = Charter(
        bor=args.bor_trigger,
        pd_days=args.pd_days,
        target_selection=args.target_selection,
    )
    options = Options(confirmation=args.confirmation)
    with ReviewStore.create(
        args.store,
        name=args.name,
        criteria=args.criteria,
        options=options,
        charter=charter,
    ) as store:
        t = store.trial()
    print(
        f"created review store {args.store}: trial {t['name']}, {t['criteria']}, "
        f"confirmation {'on' if options.confirmation else 'off'}; adjudicate when "
        + ", ".join(_charter_text(charter))
    )
    return 0


def _charter_text(c: Any) -> list[str]:
    out = []
    if c.bor:
        out.append("BOR differs")
    out.append(f"first PD date differs by more than {c.pd_days} days")
    if c.target_selection:
        out.append("target selection differs")
    return out


def _add_reader(args: argparse.Namespace) -> int:
    from recist.store import Actor

    password = _password(f"new password for {args.name}: ")
    tty = sys.stdin is not None and sys.stdin.isatty()
    if tty and getpass.getpass("again: ") != password:
        print("error: the passwords differ", file=sys.stderr)
        return 2
    with _open(args) as store:
        store.add_reader(Actor.os_admin(), args.name, role=args.role, password=password)
    print(f"added {args.role} {args.name}")
    return 0


def _add_subjects(args: argparse.Namespace) -> int:
    from recist.store import Actor
    from recist.store._subjects import subjects_from_dicomweb, subjects_from_folder

    if (args.folder is None) == (args.dicomweb is None):
        print("error: give a FOLDER or --dicomweb URL", file=sys.stderr)
        return 2
    if args.folder is not None:
        found = subjects_from_folder(args.folder)
    else:
        found = subjects_from_dicomweb(args.dicomweb, args.patient)
    if args.subject and len(found) != 1:
        print(
            f"error: --subject needs one patient, found {len(found)}", file=sys.stderr
        )
        return 2
    with _open(args) as store:
        admin = Actor.os_admin()
        for patient, points in found.items():
            usubjid = args.subject or patient
            n = store.add_subject(admin, usubjid, points)
            dates = ", ".join(p.date.isoformat() for p in points)
            print(f"{usubjid}: {n} new of {len(points)} time points ({dates})")
    return 0


def _assign(args: argparse.Namespace) -> int:
    from recist.store import Actor

    readers = args.readers.split(",") if args.readers else None
    adjudicators = args.adjudicators.split(",") if args.adjudicators else None
    with _open(args) as store:
        made = store.assign(
            Actor.os_admin(), readers=readers, adjudicators=adjudicators
        )
    for usubjid, r1, r2, adj in made:
        print(f"{usubjid}: reader 1 {r1}, reader 2 {r2}, adjudicator {adj}")
    if not made:
        print("every subject is assigned already")
    return 0


def _worklist(args: argparse.Namespace) -> int:
    from recist.store import Actor

    with _open(args) as store:
        items = store.worklist(Actor.os_admin(), args.reader)
    if args.json:
        print(
            json.dumps(
                [i.__dict__ if hasattr(i, "__dict__") else _as_dict(i) for i in items],
                indent=2,
            )
        )
        return 0
    print(f"{'subject':<16} {'slot':<4} {'signed':<7} {'next':<11} state")
    for i in items:
        signed = f"{i.signed}/{i.n_timepoints}" if i.slot != "ADJ" else "-"
        print(
            f"{i.usubjid:<16} {i.slot:<4} {signed:<7} {i.next_date or '-':<11} "
            f"{i.state}"
        )
    return 0


def _as_dict(obj: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(obj)


def _save(args: argparse.Namespace) -> int:
    import datetime as dt
    from dataclasses import replace

    from recist.formats.reading import load_reading

    reading = load_reading(args.reading)
    if args.timepoint:
        day = dt.date.fromisoformat(args.timepoint)
        if reading.baseline.date > day:
            print(f"error: the reading starts after {day}", file=sys.stderr)
            return 2
        reading = replace(
            reading, followups=tuple(f for f in reading.followups if f.date <= day)
        )
    with _open(args) as store:
        actor = _login(store, args.reader)
        version = args.expect_version
        if version is None:
            version = store.load_read(actor, args.subject).version
        new = store.save_read(actor, args.subject, reading, expected_version=version)
        view = store.load_read(actor, args.subject)
    last = ([reading.baseline.date] + [f.date for f in reading.followups])[-1]
    print(f"{args.subject}: saved {args.reader}'s read through {last} (version {new})")
    _print_responses(view)
    return 0


def _print_responses(view: Any) -> None:
    if view.engine_error:
        print(f"  the engine rejects this read: {view.engine_error}")
        return
    if view.responses is None:
        return
    for k, tp in enumerate(view.responses["timepoints"]):
        mark = "signed" if k < view.signed else "unsigned"
        total = "-" if tp["sum_mm"] is None else f"{tp['sum_mm']} mm"
        print(f"  {tp['date']}  {tp['overall'] or 'baseline':<14} {total:<10} {mark}")
    print(f"  BOR {view.responses['bor']}: {view.responses['bor_reason']}")


def _show(args: argparse.Namespace) -> int:
    from recist.formats.reading import dumps_exact, reading_to_dict

    with _open(args) as store:
        actor = _login(store, args.reader)
        if actor.role in ("adjudicator", "admin"):
            cmp = store.compare(actor, args.subject)
            print(f"{args.subject}: {cmp['state']}")
            for why in cmp["triggers"]:
                print(f"  trigger: {why}")
            print(f"  {'date':<11} {'read 1':<16} {'read 2':<16} sums (mm)")
            for row in cmp["timepoints"]:
                mark = "  <- differs" if row["differs"] else ""
                print(
                    f"  {row['date']:<11} {row['read1'] or 'baseline':<16} "
                    f"{row['read2'] or 'baseline':<16} "
                    f"{row['sum1']} / {row['sum2']}{mark}"
                )
            for v in cmp["reads"]:
                print(f"  read {v.slot}: BOR {(v.responses or {}).get('bor')}")
            return 0
        view = store.load_read(actor, args.subject)
    if args.json:
        doc = None if view.reading is None else reading_to_dict(view.reading)
        sys.stdout.write(
            dumps_exact(
                {"version": view.version, "signed": view.signed, "reading": doc}
            )
        )
        return 0
    print(
        f"{args.subject} (your read, version {view.version}): "
        f"{view.signed}/{len(view.dates)} time points signed"
    )
    for date, images in zip(view.dates, view.images, strict=True):
        print(f"  {date}  images {images}")
    _print_responses(view)
    return 0


def _sign(args: argparse.Namespace) -> int:
    from recist.store import SIGNATURE_MEANING

    with _open(args) as store:
        actor = _login(store, args.reader)
        # the password is asked once more: signing is its own act (21 CFR 11.200)
        manifest = store.sign(
            actor, args.subject, args.timepoint, password=_password("sign: password: ")
        )
    print(
        f"{args.subject} {manifest['timepoint']}: signed by {manifest['signer']} at "
        f'{manifest["signed_at"]}, meaning "{SIGNATURE_MEANING}" '
        f"(content {manifest['content_sha256'][:16]})"
    )
    return 0


def _reopen(args: argparse.Namespace) -> int:
    with _open(args) as store:
        actor = _login(store, args.reader)
        store.reopen(actor, args.subject, args.timepoint, reason=args.reason)
    print(f"{args.subject}: re-opened from {args.timepoint} ({args.reason})")
    return 0


def _adjudicate(args: argparse.Namespace) -> int:
    with _open(args) as store:
        actor = _login(store, args.reader)
        store.adjudicate(actor, args.subject, accept=args.accept, reason=args.reason)
    print(
        f"{args.subject}: read {args.accept} accepted by {args.reader} ({args.reason})"
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    with _open(args) as store:
        statuses = store.status()
        metrics = None
        if args.metrics:
            from recist.store._metrics import reader_metrics

            metrics = reader_metrics(statuses, pd_days=store.charter().pd_days)
    if args.json:
        doc: dict[str, Any] = {"subjects": [_status_dict(s) for s in statuses]}
        if metrics is not None:
            doc["metrics"] = metrics.to_dict()
        print(json.dumps(doc, indent=2, default=str))
        return 0
    print(f"{'subject':<16} {'read 1':<14} {'read 2':<14} {'BOR':<10} state")
    for s in statuses:
        cells = [
            f"{s.readers[k] or '-'} {s.signed[k]}/{s.n_timepoints}" for k in (0, 1)
        ]
        bor = "/".join(b or "-" for b in s.bor)
        print(f"{s.usubjid:<16} {cells[0]:<14} {cells[1]:<14} {bor:<10} {s.state}")
    waiting = [s for s in statuses if s.state == "waiting adjudication"]
    print(f"\n{len(waiting)} waiting for adjudication")
    for s in waiting:
        print(f"  {s.usubjid} (adjudicator {s.adjudicator}): {'; '.join(s.triggers)}")
    if metrics is not None:
        print()
        print("\n".join(metrics.lines()))
    return 0


def _status_dict(s: Any) -> dict[str, Any]:
    return {
        "usubjid": s.usubjid,
        "state": s.state,
        "readers": list(s.readers),
        "signed": list(s.signed),
        "n_timepoints": s.n_timepoints,
        "bor": list(s.bor),
        "first_pd": list(s.first_pd),
        "adjudicator": s.adjudicator,
        "triggers": list(s.triggers),
        "accepted_read": s.accepted_slot,
        "adjudication_reason": s.adjudication_reason,
    }


def _export(args: argparse.Namespace) -> int:
    from recist.store._export import export_review

    with _open(args) as store:
        result = export_review(
            store, args.outdir, studyid=args.studyid, fmt=args.fmt, sr=args.sr
        )
    for path in result.files:
        print(path)
    for line in result.skipped:
        print(f"not exported: {line}", file=sys.stderr)
    print(f"{result.n_decided} decided subjects exported to {args.outdir}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from recist.store import Actor

    with _open(args) as store:
        if args.verify:
            check = store.verify_audit()
            if check.ok:
                print(f"audit trail intact: {check.n_events} events, chain verified")
                return 0
            print(f"audit trail BROKEN ({check.n_events} events):", file=sys.stderr)
            for p in check.problems:
                print(f"  {p}", file=sys.stderr)
            return 1
        events = store.audit_trail(Actor.os_admin(), args.subject)
    if args.json:
        print(json.dumps(events, indent=2, default=str))
        return 0
    for e in events:
        why = f" -- {e['reason']}" if e["reason"] else ""
        print(
            f"{e['seq']:>5} {e['at']} {e['actor']:<12} {e['action']:<11} "
            f"{e['entity_key']}{why}"
        )
    return 0


def _serve(args: argparse.Namespace) -> int:
    from recist.dashboard import serve

    serve(args.store, host=args.host, port=args.port)
    return 0


def add_subparser(subparsers: Any) -> None:
    """Add ``recist review SUBCOMMAND ...``."""
    p = subparsers.add_parser(
        "review",
        help="blinded independent central review: double reads, adjudication",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="review_command", metavar="SUBCOMMAND", required=True)

    def cmd(name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help_text, description=help_text)
        q.add_argument("store", metavar="STORE", help="trial.db or a PostgreSQL URL")
        q.set_defaults(func=func)
        return q

    def reader(q: argparse.ArgumentParser, *, subject: bool = True) -> None:
        q.add_argument("--reader", required=True, metavar="NAME")
        if subject:
            q.add_argument("--subject", required=True, metavar="USUBJID")

    q = cmd("init", _init, "create a review store and its trial")
    q.add_argument("--name", default="TRIAL", help="trial name (default TRIAL)")
    q.add_argument(
        "--criteria", choices=("RECIST 1.1", "iRECIST"), default="RECIST 1.1"
    )
    q.add_argument(
        "--confirmation",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="BOR CR/PR need confirmation (default yes)",
    )
    q.add_argument(
        "--bor-trigger",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="adjudicate when BOR differs (default yes)",
    )
    q.add_argument(
        "--pd-days",
        type=int,
        default=0,
        metavar="N",
        help="adjudicate when first-PD dates differ by more than N days (default 0)",
    )
    q.add_argument(
        "--target-selection",
        action="store_true",
        help="also adjudicate when the target lesions' organs differ",
    )
    q = cmd("add-reader", _add_reader, "add a reader, adjudicator or admin")
    q.add_argument("name", metavar="NAME")
    q.add_argument(
        "--role", choices=("reader", "adjudicator", "admin"), default="reader"
    )
    q = cmd("add-subjects", _add_subjects, "add subjects from DICOM studies")
    q.add_argument("folder", nargs="?", metavar="FOLDER", help="a folder of studies")
    q.add_argument(
        "--dicomweb", metavar="URL", help="list studies from a DICOMweb server"
    )
    q.add_argument("--patient", metavar="ID", help="DICOMweb: only this PatientID")
    q.add_argument("--subject", metavar="USUBJID", help="USUBJID (default: PatientID)")
    q = cmd("assign", _assign, "assign two readers and an adjudicator per subject")
    q.add_argument("--readers", metavar="A,B,...", help="default: every reader")
    q.add_argument("--adjudicators", metavar="A,...", help="default: every adjudicator")
    q = cmd("worklist", _worklist, "a reader's subjects and what to do next")
    reader(q, subject=False)
    q.add_argument("--json", action="store_true")
    q = cmd("save", _save, "save a reading file as the reader's read")
    reader(q)
    q.add_argument("reading", metavar="READING", help="a reading (or case) file")
    q.add_argument("--timepoint", metavar="DATE", help="save only up to this date")
    q.add_argument(
        "--expect-version",
        type=int,
        metavar="V",
        help="refuse if the read changed since version V",
    )
    q = cmd("show", _show, "show your read (adjudicator: both reads side by side)")
    reader(q)
    q.add_argument("--json", action="store_true")
    q = cmd("sign", _sign, "e-sign a time point: reviewed and approved")
    reader(q)
    q.add_argument("--timepoint", required=True, metavar="DATE")
    q = cmd("reopen", _reopen, "re-open a signed time point, with a reason")
    reader(q)
    q.add_argument("--timepoint", required=True, metavar="DATE")
    q.add_argument("--reason", required=True)
    q = cmd("adjudicate", _adjudicate, "accept read 1 or 2 of a subject, with a reason")
    reader(q)
    q.add_argument("--accept", type=int, choices=(1, 2), required=True)
    q.add_argument("--reason", required=True)
    q = cmd("status", _status, "progress and subjects waiting for adjudication")
    q.add_argument("--metrics", action="store_true", help="reader agreement metrics")
    q.add_argument("--json", action="store_true")
    q = cmd("export", _export, "readings, accepted reads and SDTM TU/TR/RS")
    q.add_argument("outdir", metavar="OUTDIR")
    q.add_argument("--studyid", default="RECIST")
    q.add_argument(
        "--format", dest="fmt", choices=("csv", "xpt", "both"), default="csv"
    )
    q.add_argument(
        "--sr", action="store_true", help="also DICOM SR (TID 1500) per read"
    )
    q = cmd("audit", _audit, "print or verify the audit trail")
    q.add_argument("--verify", action="store_true", help="recompute the hash chain")
    q.add_argument("--subject", metavar="USUBJID")
    q.add_argument("--json", action="store_true")
    q = cmd("serve", _serve, "the core lab dashboard (web)")
    q.add_argument("--host", default="127.0.0.1")
    q.add_argument("--port", type=int, default=8000)
