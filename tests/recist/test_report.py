# ruff: noqa: F811, PT018, E501, B905, RUF100
import json
import subprocess

import numpy as np

from recist.cli import main
from tests.conftest import require_tool
from tests.recist._report_fixture import sample_reading, sample_study  # noqa: F401, F811


def test_report_pdf_and_html(tmp_path, sample_study, sample_reading, capsys):
    reading = tmp_path / "reading.json"
    reading.write_text(json.dumps(sample_reading))
    pdf, html = tmp_path / "r.pdf", tmp_path / "r.html"
    rc = main(
        [
            "report",
            str(reading),
            "--images",
            str(sample_study),
            "--pdf",
            str(pdf),
            "--html",
            str(html),
        ]
    )
    assert rc == 0
    assert "3 pages" in capsys.readouterr().out
    assert pdf.read_bytes().startswith(b"%PDF")
    text = html.read_text()
    assert "RECIST-SAMPLE-0" in text and text.count("data:image/png;base64,") == 1 + 16
    pdftotext = require_tool("pdftotext", package="poppler-utils")
    words = subprocess.run(
        [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Page 3 of 3" in words and "generated" in words


def test_key_images_calliper_on_the_lesion(sample_study, sample_reading):
    from recist.formats.case import load_case
    from recist.report import key_images

    found, missing = key_images(load_case(sample_reading), sample_study)
    assert missing == [] and len(found) == 16
    truth = json.loads((sample_study / "truth.lesions.json").read_text())
    rows = truth["lesions"]
    hu = {r["lesion_id"]: r["hu"] for r in rows}
    for (lid, _date), k in found.items():
        # calliper length in pixels x spacing = the truth's axis (independent oracle)
        (x0, y0), (x1, y1) = k.endpoints_px[:2]
        length = np.hypot((x1 - x0) * k.spacing_mm[0], (y1 - y0) * k.spacing_mm[1])
        assert k.value_mm is not None
        mid = k.pixels[round((y0 + y1) / 2), round((x0 + x1) / 2)]
        assert abs(float(mid) - hu[lid]) < 25, (lid, mid)  # centre is inside the lesion
        assert length >= float(k.value_mm) - 0.01
