# ruff: noqa: PT012, PT018
"""Issue 12, outputs and input files: nothing lost, nothing mixed, no traceback.

Oracles are outside the code under test: the file system after real ``kill -9``
of real subprocesses, real concurrent runs, a real full file system (a
size-limited tmpfs), ``os.stat`` modes against the umask arithmetic, and bytes
compared with reference outputs written by undisturbed runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from recist.cli import main
from tests.recist._hostile import (
    BAD_JSON,
    case_text,
    good_surrogate_pair,
    write_readings,
)
from tests.recist.test_dicom_fixtures import write_series

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "import sys; from recist.cli import main; sys.exit(main())"
SDTM_SET = ("rs.csv", "tr.csv", "tu.csv")


def _cli(*argv: str) -> list[str]:
    return [sys.executable, "-c", SCRIPT, *argv]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@contextlib.contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _snapshot(folder: Path) -> dict[str, bytes]:
    """The visible files (a hidden temporary file left by a kill is not data)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


# ------------------------------------------------------- sets: kill -9, locks


@pytest.fixture(scope="module")
def sdtm_refs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two readings folders and the undisturbed SDTM sets of each (OLD, NEW)."""
    root = tmp_path_factory.mktemp("sdtm-refs")
    inputs = write_readings(root / "in", 40)
    refs = {}
    for study in ("OLD", "NEW"):
        out = root / study
        argv = ["export", "sdtm", *map(str, inputs), str(out), "--studyid", study]
        assert main(argv) == 0
        refs[study] = _snapshot(out)
        assert sorted(refs[study]) == list(SDTM_SET)
    return {"inputs": inputs, "refs": refs}


def _which_set(folder: Path, refs: dict[str, dict[str, bytes]]) -> str:
    """Return "OLD" or "NEW" if ``folder`` holds exactly one whole set, else why not."""
    got = _snapshot(folder)
    for name, ref in refs.items():
        if got == ref:
            return name
    parts = {
        n: next((k for k, r in refs.items() if r.get(n) == b), "partial")
        for n, b in got.items()
    }
    return f"mixed: {parts}"


def _kill_during_write(
    argv: list[str], watch: Path, delay_s: float
) -> tuple[int, bool]:
    """Start ``argv``, wait until it starts writing (an entry in ``watch`` or
    beside it appears or changes), sleep ``delay_s`` and ``kill -9`` it.

    Returns (exit status, whether it was still running when killed).
    """

    def state() -> set[tuple[str, int, int]]:
        found = set()
        for folder in (watch.parent, watch):
            with contextlib.suppress(OSError):
                for e in os.scandir(folder):
                    with contextlib.suppress(OSError):
                        st = e.stat(follow_symlinks=False)
                        found.add((e.path, st.st_size, st.st_mtime_ns))
        return found

    before = state()
    proc = subprocess.Popen(
        argv, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if state() != before:  # a file appeared or changed: writing has begun
            break
        time.sleep(0.0005)
    time.sleep(delay_s)
    running = proc.poll() is None
    if running:
        proc.send_signal(signal.SIGKILL)
    return proc.wait(), running


#: Delays after the first temporary file appears: mid-write to just after.
KILL_DELAYS_S = [0.0, 0.001, 0.002, 0.004, 0.006, 0.008, 0.012, 0.016]


@pytest.mark.slow
def test_kill_9_during_sdtm_export_leaves_a_whole_set(tmp_path, sdtm_refs) -> None:
    # The issue: 17 of 32 kills left a mix of old and new files.
    refs = sdtm_refs["refs"]
    out = tmp_path / "out"
    out.mkdir()
    for name, data in refs["OLD"].items():
        (out / name).write_bytes(data)
    argv = _cli(
        "export", "sdtm", *map(str, sdtm_refs["inputs"]), str(out), "--studyid", "NEW"
    )
    outcomes = []
    for i, delay in enumerate(KILL_DELAYS_S + KILL_DELAYS_S[::2]):  # 12 trials
        if i % 2:  # alternate the starting set so every kill can show a mix
            for p in out.iterdir():
                p.unlink()
            for name, data in refs["OLD"].items():
                (out / name).write_bytes(data)
        status, killed = _kill_during_write(argv, out, delay)
        state = _which_set(out, refs)
        outcomes.append((delay, status, killed, state))
        assert state in ("OLD", "NEW"), outcomes
    assert any(k for _, _, k, _ in outcomes), "no trial was killed: widen the delays"
    # the next run cleans what the killed ones left beside the folder
    assert subprocess.run(argv, env=_env(), check=False).returncode == 0
    assert _which_set(out, refs) == "NEW"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_second_writer_is_refused_while_the_folder_is_locked(
    tmp_path, sdtm_refs, capsys
) -> None:
    refs = sdtm_refs["refs"]
    out = tmp_path / "out"
    out.mkdir()
    for name, data in refs["OLD"].items():
        (out / name).write_bytes(data)
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a first writer in another process
        argv = ["export", "sdtm", *map(str, sdtm_refs["inputs"][:3]), str(out)]
        assert main(argv) == 2
    finally:
        os.close(fd)
    err = capsys.readouterr().err  # notes about the input may come first
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ")
    assert "another recist process is writing this folder" in last
    assert "Traceback" not in err
    assert _which_set(out, refs) == "OLD"


@pytest.mark.slow
def test_concurrent_exports_never_mix(tmp_path, sdtm_refs) -> None:
    # The issue: two runs into one folder, both exit 0, tu.csv of one run with
    # tr.csv of the other.  Now: the second is refused (exit 2) or runs after.
    refs = sdtm_refs["refs"]
    inputs = list(map(str, sdtm_refs["inputs"]))
    out = tmp_path / "out"
    statuses = []
    for _ in range(4):
        procs = [
            subprocess.Popen(
                _cli("export", "sdtm", *inputs, str(out), "--studyid", study),
                env=_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for study in ("OLD", "NEW")
        ]
        done = [(p.wait(), p.communicate()[1]) for p in procs]
        for status, err in done:
            assert status in (0, 2), err
            if status == 2:
                assert "another recist process is writing this folder" in err
        statuses.append(tuple(s for s, _ in done))
        assert 0 in statuses[-1]
        assert _which_set(out, refs) in ("OLD", "NEW"), statuses


def test_set_keeps_other_files_and_drops_its_stale_members(tmp_path, sdtm_refs):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "sub").mkdir()
    (out / "sub" / "x.txt").write_text("deep")
    (out / "tu.xpt").write_bytes(b"stale xpt of an earlier export")
    inputs = list(map(str, sdtm_refs["inputs"][:2]))
    assert main(["export", "sdtm", *inputs, str(out), "--format", "csv"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["notes.txt", "rs.csv", "sub", "tr.csv", "tu.csv"]
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "sub" / "x.txt").read_text() == "deep"


def test_symlinked_output_folder_stays_a_symlink(tmp_path, sdtm_refs) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    inputs = list(map(str, sdtm_refs["inputs"]))
    argv = ["export", "sdtm", *inputs, str(tmp_path / "link"), "--studyid", "NEW"]
    assert main(argv) == 0
    assert (tmp_path / "link").is_symlink()
    assert _which_set(real, sdtm_refs["refs"]) == "NEW"


def test_failed_set_changes_nothing(tmp_path) -> None:
    from recist._atomic import replacing_dir

    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_text("old a")
    (out / "b.csv").write_text("old b")
    with pytest.raises(RuntimeError), replacing_dir(out) as tmp:
        (tmp / "a.csv").write_text("new a")
        raise RuntimeError("disk full after the first file")
    assert _snapshot(out) == {"a.csv": b"old a", "b.csv": b"old b"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_report_pdf_and_html_are_committed_together(tmp_path) -> None:
    from recist._atomic import replacing_files

    pdf, html = tmp_path / "r.pdf", tmp_path / "r.html"
    pdf.write_text("old pdf")
    html.write_text("old html")
    with pytest.raises(RuntimeError), replacing_files([pdf, html]) as (tp, _th):
        tp.write_text("new pdf")
        raise RuntimeError("matplotlib failed on the HTML figures")
    assert (pdf.read_text(), html.read_text()) == ("old pdf", "old html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.pdf"]


# ----------------------------------------------------- convert x.mhd: kill -9


def _series(folder: Path, seed: int) -> np.ndarray:
    _, stack, _ = write_series(
        folder, [2.5 * k for k in range(48)], rows=192, cols=192, seed=seed
    )
    return stack


def _read(path: Path) -> np.ndarray:
    import SimpleITK as sitk

    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


@pytest.mark.slow
def test_kill_9_during_convert_mhd_keeps_a_whole_pair(tmp_path) -> None:
    # The issue: 6 of 6 kills destroyed the previous .mhd + .raw.
    old_stack = _series(tmp_path / "old", 0)
    _series(tmp_path / "new", 1)
    outdir = tmp_path / "o"
    outdir.mkdir()
    out = outdir / "x.mhd"
    assert main(["convert", str(tmp_path / "old"), str(out)]) == 0
    old = _read(out)
    assert old.shape == old_stack.shape
    assert main(["convert", str(tmp_path / "new"), str(tmp_path / "ref.mhd")]) == 0
    new = _read(tmp_path / "ref.mhd")
    assert not np.array_equal(old, new)
    outcomes = []
    for delay in KILL_DELAYS_S:
        argv = _cli("convert", str(tmp_path / "new"), str(out))
        status, killed = _kill_during_write(argv, outdir / "watch-inside", delay)
        got = _read(out)
        same = "OLD" if np.array_equal(got, old) else None
        same = same or ("NEW" if np.array_equal(got, new) else "broken")
        outcomes.append((delay, status, killed, same))
        assert same in ("OLD", "NEW"), outcomes
        if same == "NEW":  # start the next trial from the old pair again
            assert main(["convert", str(tmp_path / "old"), str(out)]) == 0
    assert any(k for _, _, k, _ in outcomes), outcomes


def test_mhd_pair_replaced_whole_and_old_data_removed(tmp_path) -> None:
    _series(tmp_path / "a", 0)
    out = tmp_path / "o" / "x.mhd"
    out.parent.mkdir()
    assert main(["convert", str(tmp_path / "a"), str(out)]) == 0
    assert main(["convert", str(tmp_path / "a"), str(out)]) == 0
    files = sorted(p.name for p in out.parent.iterdir())
    assert len(files) == 2, files  # the header and the data it names, no more
    header = out.read_text()
    data = [ln.split("=")[1].strip() for ln in header.splitlines() if "DataFile" in ln]
    assert data and (out.parent / data[0]).is_file()


# --------------------------------------------------------------- file modes


def test_new_outputs_follow_the_umask_and_replaced_keep_their_mode(tmp_path) -> None:
    # The issue: every output 0600 whatever the umask; a 0644 file became 0600.
    from recist._atomic import replacing

    with _umask(0o022):
        with replacing(tmp_path / "new.txt") as tmp:
            tmp.write_text("x")
        assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644
        shared = tmp_path / "shared.txt"
        shared.write_text("old")
        os.chmod(shared, 0o664)
        with replacing(shared) as tmp:
            tmp.write_text("new")
        assert stat.S_IMODE(shared.stat().st_mode) == 0o664
    with _umask(0o077):
        private = tmp_path / "private.txt"
        with replacing(private) as tmp:
            tmp.write_text("x")
        assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_reading_files_follow_the_umask(tmp_path) -> None:
    from recist.formats.reading import load_reading, save_reading

    reading = _one_reading(tmp_path)
    with _umask(0o002):
        save_reading(reading, tmp_path / "r.json")
        assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o664
        os.chmod(tmp_path / "r.json", 0o640)
        save_reading(reading, tmp_path / "r.json")  # autosave over it
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o640
    assert load_reading(tmp_path / "r.json") == reading


def _one_reading(tmp_path: Path):
    from recist.formats.reading import load_reading

    (path,) = write_readings(tmp_path / "in", 1)
    return load_reading(path)


def test_cwd_inside_the_output_folder_still_gets_the_whole_set(
    tmp_path, sdtm_refs, monkeypatch
) -> None:
    # the folder is not swapped away under the user's shell: files move in
    refs = sdtm_refs["refs"]
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("kept")
    monkeypatch.chdir(out)
    inputs = list(map(str, sdtm_refs["inputs"]))
    assert main(["export", "sdtm", *inputs, ".", "--studyid", "NEW"]) == 0
    assert (out / "mine.txt").read_text() == "kept"
    (out / "mine.txt").unlink()
    assert _which_set(out, refs) == "NEW"
    assert os.path.samefile(os.getcwd(), out)


def test_cli_outputs_are_readable_by_colleagues(tmp_path, sdtm_refs) -> None:
    _series(tmp_path / "s", 0)
    with _umask(0o022):
        assert main(["convert", str(tmp_path / "s"), str(tmp_path / "v.nii.gz")]) == 0
        inputs = list(map(str, sdtm_refs["inputs"][:2]))
        assert main(["export", "sdtm", *inputs, str(tmp_path / "sd")]) == 0
    assert stat.S_IMODE((tmp_path / "v.nii.gz").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "sd").stat().st_mode) == 0o755
    for p in (tmp_path / "sd").iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p
    os.chmod(tmp_path / "sd", 0o750)
    os.chmod(tmp_path / "sd" / "tu.csv", 0o640)
    with _umask(0o022):
        assert main(["export", "sdtm", *inputs, str(tmp_path / "sd")]) == 0
    assert stat.S_IMODE((tmp_path / "sd").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "sd" / "tu.csv").stat().st_mode) == 0o640


# ---------------------------------------------------------------- full disk


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted for the test (needs root: CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root (CI runs as root)")
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], check=True
    )
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(folder: Path, leave_bytes: int) -> None:
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    (folder / "filler").write_bytes(b"\0" * max(0, free - leave_bytes))


@pytest.mark.parametrize("name", ["v.nii", "v.nii.gz", "v.nrrd", "v.mhd"])
def test_full_disk_convert_keeps_the_good_file(tmp_path, full_disk, name, capsys):
    # The issue: exit 0 and the good file replaced by a truncated one.
    _, stack, _ = write_series(
        tmp_path / "s", [2.5 * k for k in range(24)], rows=64, cols=64, seed=3
    )
    _, other, _ = write_series(
        tmp_path / "t", [2.5 * k for k in range(24)], rows=64, cols=64, seed=4
    )
    out = full_disk / name
    assert main(["convert", str(tmp_path / "s"), str(out)]) == 0
    good = _read(out)
    before = {p.name: p.read_bytes() for p in full_disk.iterdir()}
    _fill(full_disk, 60_000)  # the new 196 kB volume cannot fit
    status = main(["convert", str(tmp_path / "t"), str(out)])
    err = capsys.readouterr().err
    assert status == 2, err
    assert "old file" in err or "No space" in err, err
    assert err.count("\n") == 1, err
    (full_disk / "filler").unlink()
    assert {p.name: p.read_bytes() for p in full_disk.iterdir()} == before
    assert np.array_equal(_read(out), good)
    assert good.shape == stack.shape and other.shape == stack.shape


def test_full_disk_import_seg_masks_keeps_the_good_set(tmp_path, full_disk, capsys):
    from tests.conftest import shared_path

    seg = shared_path("data", "dcmqi-tid1500", "seg", "liver.dcm")
    ct = shared_path("data", "dcmqi-tid1500", "ct")
    masks = full_disk / "m"
    argv = ["import", "seg", str(seg), "--images", str(ct), "--masks", str(masks)]
    assert main(argv) == 0
    before = _snapshot(masks)
    assert before
    for name in before:  # make the good set distinguishable from a new one
        (masks / name).write_bytes(before[name])
    _fill(full_disk, 2_000)
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    (full_disk / "filler").unlink()
    assert _snapshot(masks) == before
    assert sorted(p.name for p in full_disk.iterdir()) == ["m"]


# ------------------------------------------------------- hostile JSON input


@pytest.mark.parametrize(
    ("name", "text", "expected"), BAD_JSON, ids=[c[0] for c in BAD_JSON]
)
def test_hostile_json_exits_2_with_one_line(tmp_path, capsys, name, text, expected):
    path = tmp_path / f"{name}.json"
    path.write_text(text, encoding="utf-8")
    for argv in (["assess", "--json", str(path)], ["assess", str(path)]):
        assert main(argv) == 2
        captured = capsys.readouterr()
        err = captured.err
        assert "Traceback" not in err
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert expected in err, err
        json.loads(captured.out or "null")  # --json output stays JSON
    assert main(["report", str(path), "--html", str(tmp_path / "r.html")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_nesting_at_the_bound_is_parsed(tmp_path, capsys) -> None:
    # 63 arrays under the top object = 64 levels: parsed, then refused by the
    # schema (baseline must be an object), not by the depth bound
    path = tmp_path / "d.json"
    path.write_text('{"id": "x", "baseline": ' + "[" * 63 + "]" * 63 + "}")
    assert main(["assess", str(path)]) == 2
    err = capsys.readouterr().err
    assert "nested" not in err and "baseline" in err, err


def test_valid_surrogate_pair_is_text(tmp_path, capsys) -> None:
    path = tmp_path / "emoji.json"
    path.write_text(good_surrogate_pair(), encoding="utf-8")
    assert main(["assess", "--json", str(path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    # 30 -> 20 mm is -33.3% (PR) at day 56, unconfirmed: BOR SD (>= 42 days)
    assert doc["timepoints"][0]["overall"] == "PR"
    assert doc["best_overall_response"] == "SD"


def test_assess_json_is_strict_json(tmp_path, capsys) -> None:
    # The issue: 1e309 was accepted and --json printed Infinity.  The biggest
    # accepted length (1 km) still gives finite JSON numbers.
    path = tmp_path / "big.json"
    path.write_text(case_text("1000000"), encoding="utf-8")
    assert main(["assess", "--json", str(path)]) == 0

    def refuse(token: str) -> None:
        raise AssertionError(f"not JSON: {token}")

    doc = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert doc["baseline_sum_mm"] == 1_000_000.0


def test_strict_dumps_writes_null_for_non_finite() -> None:
    from recist._json import dumps

    text = dumps({"spacing": [float("nan"), 1.0, float("-inf")]})
    assert json.loads(text) == {"spacing": [None, 1.0, None]}


# ---------------------------------------------------- autoread: bad seeds


@pytest.mark.parametrize(
    "seed",
    [
        pytest.param([5000.0, 0.0, 0.0], id="outside"),  # the case
        pytest.param([1e300, -1e300, 0.0], id="1e300-no-int-wrap"),
        pytest.param([0.0, 0.0, 1e308 * 10], id="infinite"),
    ],
)
def test_autoread_seed_outside_the_volume_exits_2(
    sample_study_dir, tmp_path, capsys, seed
) -> None:
    truth = json.loads((sample_study_dir / "truth.case.json").read_text())
    date = truth["baseline"]["date"]
    seeds = {
        "lesions": [
            {
                "id": "T01",
                "role": "TARGET",
                "site": "LIVER",
                "seeds_lps": {date: seed},
            }
        ]
    }
    path = tmp_path / "seeds.json"
    path.write_text(json.dumps(seeds))
    out = tmp_path / "r.json"
    argv = ["autoread", str(sample_study_dir), "--seeds", str(path), "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert f"T01 on {date}" in err, err
    assert "outside the volume" in err or "not a finite" in err, err
    assert not out.exists()


def test_summary_failing_midway_keeps_the_previous_set(tmp_path, monkeypatch) -> None:
    # The issue: a summary interrupted after summary.json left the old plots
    # and HTML beside the new JSON.
    from recist.report import plots

    write_readings(tmp_path / "in", 3)
    out = tmp_path / "out"
    assert main(["summary", str(tmp_path / "in"), "--out", str(out)]) == 0
    before = _snapshot(out)
    assert "summary.json" in before
    assert "km_dor.png" in before

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("plotting failed after summary.json was written")

    monkeypatch.setattr(plots, "kaplan_meier", broken)
    argv = ["summary", str(tmp_path / "in"), "--out", str(out), "--no-confirmation"]
    with pytest.raises(RuntimeError):
        main(argv)
    assert _snapshot(out) == before
