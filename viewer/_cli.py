"""``recist view PATH [--reading R] [--timepoint DATE] [--screenshot OUT.png]``."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["add_subparser", "check_args", "ensure_display", "run"]


def add_subparser(subparsers: Any) -> None:
    """Register ``recist view`` (found by :mod:`recist.cli`)."""
    p = subparsers.add_parser(
        "view",
        help="open a patient's studies in the reading workstation (napari)",
        description=(
            "Open the DICOM studies of one patient (one per time point) with the "
            "time point browser, lesion table, measuring tools and response panel."
        ),
    )
    p.add_argument(
        "path",
        nargs="?",
        help="folder, zip or file with the patient's studies (with --store: "
        "default the store's images), or a DICOMweb server as "
        "dicomweb+http://HOST/dicom-web (with --study or --patient)",
    )
    p.add_argument("--study", metavar="UID", help="with dicomweb+http: this study")
    p.add_argument(
        "--patient", metavar="ID", help="with dicomweb+http: every study of a patient"
    )
    p.add_argument("--store", help="a review store: open your read of --subject")
    p.add_argument("--reader", help="with --store: your reader name")
    p.add_argument("--subject", help="with --store: the USUBJID to read")
    p.add_argument("--reading", type=Path, help="reading file to open or create (JSON)")
    p.add_argument("--timepoint", help="study date to show first (YYYY-MM-DD)")
    p.add_argument(
        "--screenshot",
        type=Path,
        metavar="OUT.png",
        help="render the window with its widgets (virtual display if needed), "
        "save, exit",
    )
    p.add_argument(
        "--preset", default="soft tissue", help="window preset (default: soft tissue)"
    )
    p.add_argument(
        "--side-by-side",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show baseline next to the follow-up (default: on when a reading is "
        "given and --timepoint is a follow-up)",
    )
    p.set_defaults(func=run)


#: Window size of ``--screenshot`` (a 1080p reading monitor) and its screen.
WINDOW_PX = (1920, 1080)
_SCREEN = "1920x1200x24"


class _Xvfb:
    """A private X server for headless screenshots (stopped on exit)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.display: Any = None

    def start(self) -> None:
        try:
            from pyvirtualdisplay.display import Display

            w, h, depth = (int(v) for v in _SCREEN.split("x"))
            self.display = Display(visible=False, size=(w, h), color_depth=depth)
            self.display.start()
            return
        except Exception:
            self.display = None
        exe = shutil.which("Xvfb")
        if exe is None:
            msg = "no display and no Xvfb: install xvfb or run with a screen"
            raise RuntimeError(msg)
        for n in range(90, 200):
            if not Path(f"/tmp/.X11-unix/X{n}").exists():
                break
        self.proc = subprocess.Popen(
            [exe, f":{n}", "-screen", "0", _SCREEN, "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.environ["DISPLAY"] = f":{n}"
        time.sleep(1.0)

    def stop(self) -> None:
        if self.display is not None:
            self.display.stop()
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def ensure_display() -> _Xvfb | None:
    """Start a virtual X display when there is none (Linux); returns it or None."""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    x = _Xvfb()
    x.start()
    return x


def check_args(args: argparse.Namespace) -> str | None:
    """Return why ``--preset`` or ``--timepoint`` cannot be used (None: fine)."""
    from viewer._display import PRESETS

    if args.preset not in PRESETS:
        names = ", ".join(repr(p) for p in PRESETS)
        return f"unknown --preset {args.preset!r}; choose one of {names}"
    if args.timepoint is not None:
        try:
            dt.date.fromisoformat(args.timepoint)
        except ValueError:
            return f"--timepoint {args.timepoint!r} is not a date (YYYY-MM-DD)"
    return None


def run(args: argparse.Namespace) -> int:
    """Open the workstation; with ``--screenshot`` save the window and exit 0."""
    from recist.dicom._web import fetch_to_cache, is_dicomweb
    from recist.errors import RecistError

    problem = check_args(args)
    if problem is not None:
        print(f"recist view: {problem}", file=sys.stderr)
        return 2
    if getattr(args, "store", None):  # a read from a review store (issue 15)
        return _run_store(args, run)
    if args.path is None:
        print("recist view: give PATH (or --store)", file=sys.stderr)
        return 2
    if is_dicomweb(args.path):  # download (or reuse) the studies in the cache
        args.path = fetch_to_cache(
            args.path, study_uid=args.study, patient_id=args.patient
        )
    elif args.study or args.patient:
        print("recist view: --study/--patient go with a dicomweb+http:// location")
        return 2
    args.path = Path(args.path)
    if args.screenshot and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return _run_on_virtual_display(args)
    import napari

    from viewer._widgets import arrange_docks, dock_widgets
    from viewer._workstation import Workstation

    viewer = napari.Viewer(title="recist — reading workstation", show=True)
    interactive = args.screenshot is None

    def recover(pending: Any) -> bool | None:
        print(f"recist view: the reading has {pending.describe()}", file=sys.stderr)
        if not interactive:  # a screenshot shows the saved reading, asks nothing
            print("recist view: the autosave is kept unread", file=sys.stderr)
            return None
        from viewer._widgets.dialogs import ask_recover

        return ask_recover(viewer.window._qt_window, pending)

    try:
        ws = Workstation.open(
            viewer,
            args.path,
            reading=args.reading,
            timepoint=args.timepoint,
            recover=recover,
        )
    except RecistError as exc:
        viewer.close()
        print(f"recist view: {exc}", file=sys.stderr)
        return 2
    widgets = dock_widgets(viewer, ws)
    ws.set_preset(args.preset)
    side = args.side_by_side
    if side is None:  # the demo: a measured follow-up beside its baseline
        side = bool(args.reading and args.timepoint and not ws.is_baseline)
    ws.set_side_by_side(side)
    qwin = viewer.window._qt_window
    if args.screenshot is not None:
        qwin.resize(*WINDOW_PX)
    _settle()
    arrange_docks(viewer, widgets)
    _settle()
    targets = ws.session.reading.baseline.targets
    if targets:  # first target, on its measured slice, ~120 mm around it
        widgets["lesions"].select(targets[0].lesion_id)
        ws.focus_lesion(targets[0].lesion_id)
    if args.screenshot is None:
        napari.run()
        return 0
    _settle()
    _close_toasts(viewer)
    _settle()
    out = Path(args.screenshot)
    viewer.screenshot(str(out), canvas_only=False, flash=False)
    viewer.close()
    print(f"screenshot: {out}")
    return 0


def _run_on_virtual_display(args: argparse.Namespace) -> int:
    """Start Xvfb, run this command again in a child on it, stop Xvfb."""
    xvfb = ensure_display()
    try:
        argv = [str(args.path), "--screenshot", str(args.screenshot)]
        argv += ["--preset", args.preset]
        if args.reading:
            argv += ["--reading", str(args.reading)]
        if args.timepoint:
            argv += ["--timepoint", args.timepoint]
        if args.side_by_side is not None:
            argv.append("--side-by-side" if args.side_by_side else "--no-side-by-side")
        code = "import sys; from recist.cli import main; sys.exit(main(sys.argv[1:]))"
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
        done = subprocess.run(
            [sys.executable, "-c", code, "view", *argv], env=env, check=False
        )
        return done.returncode
    finally:
        if xvfb is not None:
            xvfb.stop()


def _settle() -> None:
    from qtpy.QtWidgets import QApplication

    for _ in range(5):
        QApplication.processEvents()
        time.sleep(0.05)


def _close_toasts(viewer: Any) -> None:
    """Close napari's notification pop-ups so they do not cover the picture."""
    from qtpy.QtWidgets import QWidget

    for w in viewer.window._qt_window.findChildren(QWidget):
        if type(w).__name__ == "NapariQtNotification":
            w.close()
    _settle()


def _password(prompt: str) -> str:
    import getpass

    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    return (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")


def _run_store(
    args: argparse.Namespace, view: Callable[[argparse.Namespace], int]
) -> int:
    """Check the read out, run the workstation (``view``), check it back in."""
    from recist.errors import RecistError
    from viewer._store_read import checkin, checkout

    if not (args.reader and args.subject):
        print("recist view: --store needs --reader and --subject", file=sys.stderr)
        return 2
    password = _password(f"password for {args.reader}: ")
    read, lines = checkout(args.store, args.reader, args.subject, password)
    print(f"worklist of {args.reader}:")
    print("\n".join(f"  {line}" for line in lines))
    if args.path is None:
        if read.images is None:
            msg = f"{args.subject}: no local images in the store; give PATH"
            raise RecistError(msg)
        args.path = read.images
    args.reading = read.path
    args.store = None
    code = view(args)
    try:
        version = checkin(read)
    except RecistError as exc:
        print(f"recist view: not saved to the store: {exc}", file=sys.stderr)
        print(f"your reading is kept in {read.path}", file=sys.stderr)
        return 2
    if version is not None:
        print(f"{args.subject}: saved to the store (version {version})")
    return code
