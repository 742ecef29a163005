"""Subjects and time points from a folder of studies and from a DICOMweb server."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading

import pytest

from recist.store import StoreInputError
from recist.store._subjects import subjects_from_dicomweb, subjects_from_folder


def test_from_folder_sample_study(sample_study_dir):
    got = subjects_from_folder(sample_study_dir)
    (points,) = got.values()
    assert list(got) == ["RECIST-SAMPLE-0"]
    assert [p.date for p in points] == [
        dt.date(2026, 1, 5),
        dt.date(2026, 2, 16),
        dt.date(2026, 3, 30),
        dt.date(2026, 5, 11),
    ]
    # each time point's images: the folder of its series, inside the study
    assert [p.image_path for p in points] == [
        str(sample_study_dir / name / "CT")
        for name in (
            "20260105_baseline",
            "20260216_week06",
            "20260330_week12",
            "20260511_week18",
        )
    ]


def test_from_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(StoreInputError, match="no DICOM image series"):
        subjects_from_folder(tmp_path)


def _study(uid, date, patient):
    return {
        "0020000D": {"vr": "UI", "Value": [uid]},
        "00080020": {"vr": "DA", "Value": [date]},
        "00100020": {"vr": "LO", "Value": [patient]},
    }


class _Qido(http.server.BaseHTTPRequestHandler):
    body = b"[]"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/dicom+json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_):
        pass


def test_from_dicomweb_study_uids_become_references():
    studies = [
        _study("1.2.3.2", "20260216", "P1"),
        _study("1.2.3.1", "20260105", "P1"),
        _study("1.2.3.9", "20260105", "P1"),  # same day: the first listed is kept
        _study("1.2.4.1", "20260107", "P2"),
    ]
    handler = type("H", (_Qido,), {"body": json.dumps(studies).encode()})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        got = subjects_from_dicomweb(
            f"http://127.0.0.1:{server.server_address[1]}/dicom-web"
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert {
        k: [(p.date.isoformat(), p.study_uid, p.image_path) for p in v]
        for k, v in got.items()
    } == {
        "P1": [("2026-01-05", "1.2.3.1", None), ("2026-02-16", "1.2.3.2", None)],
        "P2": [("2026-01-07", "1.2.4.1", None)],
    }
