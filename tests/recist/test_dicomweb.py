"""DICOMweb source (QIDO-RS / WADO-RS) against a real, private Orthanc.

The oracle is independent of the code under test: the sample study written by
``sample_dicom`` is uploaded with plain urllib, its UIDs are read from the
original files with pydicom, and the downloaded series must read to the same
voxels and geometry as the originals.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import dicomweb_client  # noqa: F401  (extra "dicomweb", in "all": CI installs it)
import numpy as np
import pydicom
import pytest

from recist.cli import main
from recist.dicom import DicomWebSource, read_volume, scan
from recist.dicom._web import check_uid, instance_path
from recist.errors import DicomReadError, InvalidInputError, MissingDependencyError
from tests.conftest import missing
from tests.recist._orthanc import Orthanc, find_orthanc, free_port, running_orthanc

VISITS = ("20260105_baseline", "20260216_week06")  # two of four: keeps it fast


def _uids(series_dir: Path) -> dict[str, Any]:
    """Study/series/SOP UIDs and header facts of one original series (pydicom)."""
    files = sorted(series_dir.glob("*.dcm"))
    first = pydicom.dcmread(files[0], stop_before_pixels=True)
    sops = {
        str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in files
    }
    return {
        "study": str(first.StudyInstanceUID),
        "series": str(first.SeriesInstanceUID),
        "date": str(first.StudyDate),
        "patient": str(first.PatientID),
        "sops": sops,
        "files": files,
    }


@pytest.fixture(scope="module")
def pacs(tmp_path_factory: pytest.TempPathFactory, sample_study_dir: Path) -> Any:
    """A private Orthanc holding two visits of the sample study."""
    found = find_orthanc()
    if isinstance(found, str):
        missing(found)
    binary, plugin = found
    workdir = tmp_path_factory.mktemp("orthanc")
    visits = [_uids(sample_study_dir / v / "CT") for v in VISITS]
    with running_orthanc(workdir, binary, plugin) as server:
        for v in visits:
            assert server.upload(v["files"]) == len(v["files"])
        yield server, visits


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_studies_lists_what_was_uploaded(pacs: tuple[Orthanc, list[Any]]) -> None:
    server, visits = pacs
    got = DicomWebSource(server.dicomweb_url).studies()
    assert [(s["study_uid"], s["date"], s["patient_id"]) for s in got] == [
        (v["study"], v["date"], v["patient"]) for v in visits
    ]
    assert all(s["modalities"] == ["CT"] and s["n_series"] == 1 for s in got)


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_studies_filtered_by_patient(pacs: tuple[Orthanc, list[Any]]) -> None:
    server, visits = pacs
    src = DicomWebSource(server.dicomweb_url)
    assert len(src.studies(patient_id=visits[0]["patient"])) == 2
    assert src.studies(patient_id="NOBODY") == []


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_series_of_a_study(pacs: tuple[Orthanc, list[Any]]) -> None:
    server, visits = pacs
    got = DicomWebSource(server.dicomweb_url).series(visits[1]["study"])
    assert [(s["series_uid"], s["modality"], s["n_instances"]) for s in got] == [
        (visits[1]["series"], "CT", len(visits[1]["files"]))
    ]


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_retrieve_reads_like_the_originals_and_is_cached(
    pacs: tuple[Orthanc, list[Any]], tmp_path: Path
) -> None:
    server, visits = pacs
    v = visits[0]
    src = DicomWebSource(server.dicomweb_url)
    first = src.retrieve_report(v["study"], v["series"], dest=tmp_path)
    assert first.downloaded == len(v["files"]) == len(first.files)
    got_sops = {str(pydicom.dcmread(p).SOPInstanceUID) for p in first.files}
    assert got_sops == v["sops"]
    assert all(
        p == instance_path(tmp_path, v["study"], v["series"], p.stem)
        for p in first.files
    )
    # voxels and geometry equal those of the original files
    want = read_volume(v["files"][0].parent)
    got = read_volume(tmp_path)
    np.testing.assert_array_equal(got.array, want.array)
    assert got.geometry == want.geometry
    # the second retrieve downloads nothing: same files, not rewritten
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in first.files}
    again = src.retrieve(v["study"], v["series"], dest=tmp_path)
    assert again == list(first.files)
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in again} == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        [v["study"], v["series"], *(p.name for p in first.files)]
    )  # no temporary files left behind


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_damaged_cache_file_is_downloaded_again(
    pacs: tuple[Orthanc, list[Any]], tmp_path: Path
) -> None:
    server, visits = pacs
    v = visits[1]
    src = DicomWebSource(server.dicomweb_url)
    files = src.retrieve(v["study"], dest=tmp_path)  # whole study
    files[3].write_bytes(b"truncated")
    report = src.retrieve_report(v["study"], dest=tmp_path)
    assert (report.downloaded, report.cached) == (1, len(files) - 1)
    assert str(pydicom.dcmread(files[3]).SOPInstanceUID) == files[3].stem


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_cli_list_and_fetch(
    pacs: tuple[Orthanc, list[Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server, visits = pacs
    url = server.dicomweb_url
    assert main(["fetch", url, "--list"]) == 0
    out = capsys.readouterr().out
    assert all(v["study"] in out for v in visits)
    assert "2 studies" in out
    assert main(["fetch", url, "--list", "--study", visits[0]["study"], "--json"]) == 0
    series = json.loads(capsys.readouterr().out)
    assert [s["series_uid"] for s in series] == [visits[0]["series"]]
    out_dir = tmp_path / "out"
    argv = ["fetch", url, "--study", visits[0]["study"], str(out_dir)]
    assert main(argv) == 0
    assert f"{len(visits[0]['files'])} downloaded" in capsys.readouterr().out
    found = scan(out_dir)
    assert [s.series_uid for s in found] == [visits[0]["series"]]
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["downloaded"] == 0


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_unknown_study_is_a_clear_error(
    pacs: tuple[Orthanc, list[Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server, _ = pacs
    with pytest.raises(DicomReadError, match=r"no instances found for study 1\.2\.3"):
        DicomWebSource(server.dicomweb_url).retrieve("1.2.3", dest=tmp_path)
    assert main(["fetch", server.dicomweb_url, "--study", "1.2.3", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {server.dicomweb_url}: no instances found")
    assert "Traceback" not in err
    assert main(["fetch", server.dicomweb_url, "--list", "--study", "1.2.3"]) == 2


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_http_error_names_url_and_status(pacs: tuple[Orthanc, list[Any]]) -> None:
    server, _ = pacs
    wrong_root = f"{server.base_url}/no-such-root"
    with pytest.raises(DicomReadError, match="HTTP 404") as info:
        DicomWebSource(wrong_root).studies()
    assert info.value.path == f"{wrong_root}/studies"


def test_dead_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/dicom-web"  # nothing listens there
    with pytest.raises(DicomReadError, match="cannot connect") as info:
        DicomWebSource(url, timeout_s=2).studies()
    assert info.value.path == url
    assert main(["fetch", url, "--list"]) == 2
    err = capsys.readouterr().err
    assert url in err
    assert "Traceback" not in err


# -- without a server ---------------------------------------------------------


class _FakeClient:
    """Answers QIDO with a hostile SOP UID (a path) and never serves WADO."""

    def search_for_instances(self, **_: Any) -> list[dict[str, Any]]:
        return [
            {
                "0020000E": {"vr": "UI", "Value": ["1.2.3"]},
                "00080018": {"vr": "UI", "Value": ["../../evil"]},
            }
        ]


def test_uids_from_the_server_never_become_paths(tmp_path: Path) -> None:
    src = DicomWebSource("http://127.0.0.1:9/dicom-web")
    src._client = _FakeClient()
    with pytest.raises(DicomReadError, match="invalid SOP instance UID"):
        src.retrieve("1.2", dest=tmp_path / "cache")
    assert list(tmp_path.rglob("*.dcm")) == []


@pytest.mark.parametrize(
    "uid",
    ["", "../x", "1.2.", "1..2", "1.2.3a", "1" * 65],
)
def test_user_uids_are_checked(uid: str) -> None:
    with pytest.raises(InvalidInputError):
        check_uid(uid, what="study UID")


@pytest.mark.parametrize("url", ["ftp://host/x", "localhost:8042", ""])
def test_url_must_be_http(url: str) -> None:
    with pytest.raises(InvalidInputError, match="http"):
        DicomWebSource(url)


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = "http://127.0.0.1:9/dicom-web"
    assert main(["fetch", url]) == 2  # neither --list nor --study/OUT
    assert main(["fetch", url, "--list", str(tmp_path)]) == 2
    assert main(["fetch", url, "--study", "1.2", "--header", "nocolon", "x"]) == 2
    err = capsys.readouterr().err
    assert "--header must be 'NAME: VALUE'" in err


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dicomweb_client", None)  # import fails
    with pytest.raises(MissingDependencyError, match=r"recist\[dicomweb\]"):
        DicomWebSource("http://127.0.0.1:9/dicom-web").studies()


def test_import_and_parser_stay_light() -> None:
    # not 'requests': pydicom.data imports it when it is installed
    code = (
        "import sys, recist.dicom, recist.cli; recist.cli.build_parser();"
        "print(sorted({'dicomweb_client', 'retrying'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


class _Canned(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the status and body in the class attributes."""

    status = 503
    body = b""
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(self.status)
        self.send_header("Content-Type", "application/dicom+json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def canned() -> Any:
    """A loopback HTTP server that answers with a canned status and body."""
    handler = type("Handler", (_Canned,), {})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/dicom-web", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_busy_server_is_retried_once_then_reported(canned: Any) -> None:
    url, handler = canned
    handler.status = 503
    with pytest.raises(DicomReadError, match="HTTP 503") as info:
        DicomWebSource(url).studies()
    assert info.value.path == f"{url}/studies"
    assert handler.hits == 2  # the first try and one retry


def test_server_ignoring_offset_does_not_loop(canned: Any) -> None:
    url, handler = canned
    study = {"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}
    handler.status, handler.body = 200, json.dumps([study]).encode()
    got = DicomWebSource(url).studies()
    assert [s["study_uid"] for s in got] == ["1.2.3"]
    assert handler.hits == 2  # page 2 repeated page 1: stop


@pytest.mark.parametrize(
    "body", [b"<html>login</html>", b'{"not": "a list"}', b"[1, 2]"]
)
def test_answer_that_is_not_dicom_json(canned: Any, body: bytes) -> None:
    url, handler = canned
    handler.status, handler.body = 200, body
    with pytest.raises(DicomReadError, match=r"not (a )?DICOM JSON|invalid") as info:
        DicomWebSource(url).studies()
    assert info.value.path == url


# --- hostile servers (issue 12) ---------------------------------------------------


class _Drip(http.server.BaseHTTPRequestHandler):
    """Answers 200 with a JSON body it sends one byte every 0.2 s (never ends soon)."""

    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/dicom+json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(100000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:  # the client hung up: what we want
            pass

    def log_message(self, *_: Any) -> None:
        pass


class _Bomb(http.server.BaseHTTPRequestHandler):
    """Answers a search with a small gzip body that inflates to 1 GiB of JSON."""

    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/dicom+json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(self.body)

    def log_message(self, *_: Any) -> None:
        pass


def _serve(handler: type) -> tuple[str, http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/dicom-web", server


def test_slow_drip_server_is_cut_at_the_deadline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Each byte comes within the socket timeout, so only a total deadline ends it
    # (before: the fetch hung for 100000 * 0.2 s).
    handler = type("Drip", (_Drip,), {"hits": 0})
    url, server = _serve(handler)
    try:
        t0 = time.monotonic()
        assert main(["fetch", url, "--list", "--timeout", "1"]) == 2
        elapsed = time.monotonic() - t0
    finally:
        server.shutdown()
        server.server_close()
    # one try + one retry, 1 s each, 0.5 s apart (+ slack for a busy machine)
    assert elapsed < 6, elapsed
    err = capsys.readouterr().err
    assert "did not complete within 1 s" in err
    assert "Traceback" not in err


def test_gzip_bomb_search_answer_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import gzip
    import resource

    # 128 gzip members of 8 MiB of spaces each (one stream, RFC 1952 2.2):
    # ~1 MB that inflates to 1 GiB; the bound is 64 MiB decompressed
    raw = gzip.compress(b" " * (8 << 20), compresslevel=9) * 128
    assert len(raw) < 2 << 20
    assert len(gzip.decompress(raw[: len(raw) // 64])) == 16 << 20
    handler = type("Bomb", (_Bomb,), {"body": raw})
    url, server = _serve(handler)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        assert main(["fetch", url, "--list", "--timeout", "20"]) == 2
    finally:
        server.shutdown()
        server.server_close()
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    err = capsys.readouterr().err
    assert "larger than 64 MiB decompressed" in err
    assert grown_kib < 512 * 1024  # far below the 1 GiB the body inflates to


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1", "1e999"])
def test_timeout_must_be_finite_and_positive(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["fetch", "http://127.0.0.1:9/dicom-web", "--list", "--timeout", value]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "timeout must be a finite number of seconds > 0" in err
    assert "Traceback" not in err


def test_escape_sequences_from_the_server_are_not_printed_raw(
    canned: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url, handler = canned
    evil = "\x1b]0;owned\x07\x1b[2J\u202eCT"
    study = {
        "0020000D": {"vr": "UI", "Value": ["1.2.3"]},
        "00081030": {"vr": "LO", "Value": [evil]},
        "00100020": {"vr": "LO", "Value": ["P\x1b[31mX"]},
    }
    handler.status, handler.body = 200, json.dumps([study]).encode()
    assert main(["fetch", url, "--list"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\u202e" not in out
    assert "\\x1b]0;owned\\x07\\x1b[2J\\u202eCT" in out  # shown, escaped
    assert "P\\x1b[31mX" in out


# --- series-level WADO-RS, a whole patient (issue 14) -------------------------------


class _Counting(http.server.BaseHTTPRequestHandler):
    """Forwards GETs to ``upstream`` (the private Orthanc) and records each path."""

    upstream = ""
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        import urllib.request

        type(self).paths.append(self.path.split("?")[0])
        req = urllib.request.Request(
            self.upstream + self.path,
            headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as up:
                body, status, headers = up.read(), up.status, up.headers
        except urllib.error.HTTPError as exc:
            body, status, headers = exc.read(), exc.code, exc.headers
        self.send_response(status)
        for k in ("Content-Type",):
            if headers.get(k):
                self.send_header(k, headers[k])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_fetch_asks_once_per_series_and_a_whole_patient(
    pacs: tuple[Orthanc, list[Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import urllib.error  # noqa: F401  (used by the proxy)

    server, visits = pacs
    handler = type("Counting", (_Counting,), {"upstream": server.base_url, "paths": []})
    url, proxy = _serve(handler)
    try:
        out = tmp_path / "patient"
        argv = ["fetch", url, "--patient", visits[0]["patient"], str(out), "--json"]
        assert main(argv) == 0
        doc = json.loads(capsys.readouterr().out)
    finally:
        proxy.shutdown()
        proxy.server_close()
    n = sum(len(v["files"]) for v in visits)
    assert doc["downloaded"] == n  # both visits of the patient
    wado = [p for p in handler.paths if "/series/" in p and "/instances" not in p]
    per_instance = [p for p in handler.paths if "/instances/" in p]
    # one series-level WADO-RS request per series, none per instance
    # (before: one request per instance, 2 x 64 here)
    assert sorted(wado) == sorted(
        f"/dicom-web/studies/{v['study']}/series/{v['series']}" for v in visits
    )
    assert per_instance == []
    got = {s.series_uid: s for s in scan(out)}
    assert set(got) == {v["series"] for v in visits}
    for v in visits:  # the same voxels as the originals
        a = read_volume(got[v["series"]])
        b = read_volume(scan(v["files"][0].parent)[0])
        np.testing.assert_array_equal(a.array, b.array)


# --- STOW-RS: push, export sr --push (issue 14) ---------------------------------------


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_export_sr_push_then_fetch_and_import_gives_the_reading(
    pacs: tuple[Orthanc, list[Any]],
    sample_study_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from recist.formats.reading import reading_to_dict, save_reading
    from tests.recist.test_sr_roundtrip import sample_reading

    server, visits = pacs
    url = server.dicomweb_url
    reading = sample_reading(sample_study_dir)
    save_reading(reading, tmp_path / "r.json")
    out = tmp_path / "srs"
    argv = ["export", "sr", str(tmp_path / "r.json"), str(out) + "/"]
    assert main([*argv, "--images", str(sample_study_dir), "--push", url]) == 0
    assert "4 stored, 0 refused" in capsys.readouterr().out
    # the server files each SR in its own study, one SR series per study
    src = DicomWebSource(url)
    for v in visits:
        modalities = sorted(s["modality"] for s in src.series(v["study"]))
        assert modalities == ["CT", "SR"]
    # a SEG of T01 (baseline) and an SR that references it: Orthanc takes both
    from recist.export.seg import export_seg
    from tests.recist.test_sr_interop import _t01_mask

    mask = _t01_mask(sample_study_dir, tmp_path / "t01.nii.gz")
    seg = export_seg(
        reading, sample_study_dir / VISITS[0], {"T01": mask}, tmp_path / "seg.dcm"
    )
    assert main(["push", url, str(seg)]) == 0
    assert "1 stored, 0 refused" in capsys.readouterr().out
    modalities = sorted(s["modality"] for s in src.series(visits[0]["study"]))
    assert modalities == ["CT", "SEG", "SR"]
    # fetch everything back and import the SRs from the folder
    got = tmp_path / "got"
    for study in {s["study_uid"] for s in src.studies()}:
        src.retrieve(study, dest=got)
    back = tmp_path / "back.json"
    argv = ["import", "sr", str(got), "--images", str(sample_study_dir), "--out"]
    assert main([*argv, str(back)]) == 0
    assert json.loads(back.read_text()) == reading_to_dict(reading)


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_push_a_folder_and_bad_input(
    pacs: tuple[Orthanc, list[Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server, visits = pacs
    url = server.dicomweb_url
    folder = tmp_path / "mixed"
    folder.mkdir()
    for f in visits[0]["files"][:3]:
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "notes.txt").write_text("not DICOM")  # passed over in a folder
    assert main(["push", url, str(folder), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(doc["stored"]) == sorted(
        str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID)
        for f in visits[0]["files"][:3]
    )
    assert doc["failed"] == []
    assert main(["push", url, str(folder / "notes.txt")]) == 2  # named: must be DICOM
    assert main(["push", url, str(tmp_path / "nothing")]) == 2
    assert main(["push", "ftp://x", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "not DICOM" in err
    assert "no such file or folder" in err
    assert "Traceback" not in err


# --- recist view dicomweb+http://... (issue 14) --------------------------------------


@pytest.mark.slow  # the private Orthanc: ~6 s setup, shared
def test_fetch_to_cache_study_and_patient(
    pacs: tuple[Orthanc, list[Any]], tmp_path: Path
) -> None:
    from recist.dicom._web import fetch_to_cache

    server, visits = pacs
    where = "dicomweb+" + server.dicomweb_url
    folder = fetch_to_cache(where, study_uid=visits[1]["study"], cache=tmp_path)
    (series,) = scan(folder)  # only the study asked for
    assert series.series_uid == visits[1]["series"]
    stamps = {p: p.stat().st_mtime_ns for p in folder.rglob("*.dcm")}
    assert fetch_to_cache(where, study_uid=visits[1]["study"], cache=tmp_path) == folder
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*.dcm")} == stamps  # cached
    patient = fetch_to_cache(where, patient_id=visits[0]["patient"], cache=tmp_path)
    assert {s.study_uid for s in scan(patient)} >= {v["study"] for v in visits}
    with pytest.raises(InvalidInputError, match="--study UID or --patient ID"):
        fetch_to_cache(where, cache=tmp_path)
    with pytest.raises(DicomReadError, match="no study of patient"):
        fetch_to_cache(where, patient_id="NOBODY", cache=tmp_path)


@pytest.mark.slow  # Orthanc + the viewer on a virtual display
def test_view_a_study_straight_from_the_server(
    pacs: tuple[Orthanc, list[Any]], tmp_path: Path
) -> None:
    pytest.importorskip("napari", reason="extra 'viewer' not installed")
    from skimage.io import imread

    server, visits = pacs
    out = tmp_path / "shot.png"
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["RECIST_CACHE"] = str(tmp_path / "cache")
    env["RECIST_HOME"] = str(tmp_path)
    cmd = [sys.executable, "-m", "recist.cli", "view"]
    cmd += ["dicomweb+" + server.dicomweb_url, "--study", visits[0]["study"]]
    cmd += ["--screenshot", str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    ct = list((tmp_path / "cache").rglob(f"{visits[0]['series']}/*.dcm"))
    assert len(ct) == len(visits[0]["files"])  # (the SRs pushed earlier come too)
    img = imread(out)
    mid = img[
        img.shape[0] // 4 : 3 * img.shape[0] // 4,
        img.shape[1] // 3 : 2 * img.shape[1] // 3,
        0,
    ]
    assert len(np.unique(mid)) > 50  # CT on the canvas


class _Stow(http.server.BaseHTTPRequestHandler):
    """A STOW-RS server that stores all but one SOP Instance UID (202, PS3.18)."""

    refuse = ""
    sops: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        # the instances sent: those of ``sops`` whose UID is in the body
        ok = [u for u in self.sops if u.encode() in body and u != self.refuse]
        answer = {
            "00081199": {  # Referenced SOP Sequence
                "vr": "SQ",
                "Value": [{"00081155": {"vr": "UI", "Value": [u]}} for u in ok],
            },
            "00081198": {  # Failed SOP Sequence: 0xA700 out of resources
                "vr": "SQ",
                "Value": [
                    {
                        "00081155": {"vr": "UI", "Value": [self.refuse]},
                        "00081197": {"vr": "US", "Value": [0xA700]},
                    }
                ],
            },
        }
        data = json.dumps(answer).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/dicom+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


def test_push_reports_what_the_server_refused(
    sample_study_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = sorted((sample_study_dir / VISITS[0] / "CT").glob("*.dcm"))[:2]
    sops = [
        str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in files
    ]
    handler = type("Stow", (_Stow,), {"refuse": sops[1], "sops": sops})
    url, server = _serve(handler)
    try:
        assert main(["push", url, *map(str, files)]) == 1  # something refused
    finally:
        server.shutdown()
        server.server_close()
    captured = capsys.readouterr()
    assert f"refused: {sops[1]} (0xA700)" in captured.err
    assert "1 stored, 1 refused" in captured.out
