# ruff: noqa: PT018, F811
"""Issue 12, security and start-up: HTML payloads, CSV formulas, lazy CLI.

Oracles: Python's own HTML parser (which elements and attributes a browser
would build), the csv module and pyreadstat reading our files back, hand
arithmetic for the numbers, and ``sys.modules`` of a fresh interpreter.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from recist.cli import main
from tests.recist._hostile import FORMULAS, XSS, reading_doc
from tests.recist._report_fixture import sample_reading, sample_study  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------- HTML


class _Elements(HTMLParser):
    """Every element and attribute a browser would build, and all text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


REPORT_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "table",
    "thead", "tbody", "tr", "th", "td", "p", "b", "ul", "li", "img", "div",
}  # fmt: skip
REPORT_ATTRS = {"lang", "charset", "style", "alt", "src", "class"}


def _check_no_injection(page: str) -> _Elements:
    parsed = _Elements()
    parsed.feed(page)
    parsed.close()
    for tag, attrs in parsed.tags:
        assert tag in REPORT_TAGS, (tag, attrs)
        assert set(attrs) <= REPORT_ATTRS, (tag, attrs)
        if tag == "img":
            assert (attrs["src"] or "").startswith("data:image/png;base64,"), attrs
    return parsed


def _hostile_reading(doc: dict) -> tuple[dict, dict[str, str]]:
    """Rename the sample reading's T01/T02, subject, reader and a site to payloads."""
    names = {"T01": XSS[0], "T02": XSS[1]}
    doc = json.loads(json.dumps(doc))
    doc["subject_id"] = XSS[3]
    doc["reader"] = XSS[2]
    for t in doc["baseline"]["targets"]:
        t["id"] = names.get(t["id"], t["id"])
    doc["baseline"]["targets"][0]["site"] = XSS[4]
    for f in doc["followups"]:
        f["targets"] = {names.get(k, k): v for k, v in f["targets"].items()}
    return doc, names


def test_report_html_escapes_every_input_text(
    tmp_path, sample_study, sample_reading, capsys
) -> None:
    # The issue: the lesion id went raw into <img alt="...">.
    doc, names = _hostile_reading(sample_reading)
    reading = tmp_path / "reading.json"
    reading.write_text(json.dumps(doc))
    out = tmp_path / "r.html"
    argv = ["report", str(reading), "--images", str(sample_study), "--html", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    parsed = _check_no_injection(out.read_text(encoding="utf-8"))
    alts = [a["alt"] for t, a in parsed.tags if t == "img"]
    # every key image is captioned with its (escaped, intact) lesion id
    for payload in names.values():
        assert any(alt.startswith(payload + " ") for alt in alts), alts
    text = "".join(parsed.text)
    for payload in (XSS[2], XSS[4]):  # reader and site are shown as text
        assert payload in text
    assert XSS[3] in text  # the subject, in the title and the header


@pytest.mark.parametrize("payload", XSS)
def test_html_helpers_escape_text_and_attributes(payload: str) -> None:
    from recist.report._html import PAGE, render, table

    body = render(
        "<p title='{{ t }}'>{{ t }}</p><img alt=\"{{ t }}\" src='{{ src }}'>{{ tab }}",
        t=payload,
        src="data:image/png;base64,AAAA",
        tab=table([payload], [[payload, 1.5]]),
    )
    page = render(PAGE, title=payload, body=body)
    parsed = _Elements()
    parsed.feed(str(page))
    tags = [t for t, _ in parsed.tags]
    assert "script" not in tags and "svg" not in tags
    assert all(not k.startswith("on") for _, a in parsed.tags for k in a)
    assert tags.count("img") == 1
    ((_, attrs),) = [(t, a) for t, a in parsed.tags if t == "p"]
    assert attrs == {"title": payload}  # intact, not dropped


# ----------------------------------------------------------------- CSV

TRIGGERS = tuple("=+-@\t\r＝＋－＠")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _cells(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _assert_no_formula(path: Path) -> None:
    for row in _cells(path):
        for column, cell in row.items():
            if cell.startswith(TRIGGERS):
                assert NUMBER.fullmatch(cell), (path.name, column, cell)


def _formula_readings(tmp_path: Path) -> list[Path]:
    paths = []
    for i, payload in enumerate(FORMULAS):
        doc = reading_doc(
            f"S{i}", reader=payload, lesion=f"{payload}#{i}", site=payload
        )
        path = tmp_path / f"f{i}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(path)
    return paths


def test_sdtm_and_adam_csv_have_no_formula_cells(tmp_path) -> None:
    # The issue: cells starting with = + - @ went raw into TU/TR/RS and ADaM.
    import pyreadstat  # a core dependency

    inputs = list(map(str, _formula_readings(tmp_path)))
    sd, ad = tmp_path / "sdtm", tmp_path / "adam"
    assert main(["export", "sdtm", *inputs, str(sd), "--format", "both"]) == 0
    assert main(["export", "adam", *inputs, str(ad), "--format", "both"]) == 0
    for path in [*sd.glob("*.csv"), *ad.glob("*.csv")]:
        _assert_no_formula(path)
    tu = _cells(sd / "tu.csv")
    got = {r["TULNKID"] for r in tu}
    want = {f"{p}#{i}" for i, p in enumerate(FORMULAS)} | {"T02"}
    # shown as text: a leading apostrophe where a spreadsheet would compute
    assert {c.removeprefix("'") for c in got} == want
    assert "'=HYPERLINK" in "".join(got)
    # XPT keeps the values exactly
    frame, _ = pyreadstat.read_xport(str(sd / "tu.xpt"))
    assert set(frame["TULNKID"]) == want
    assert set(frame["TULOC"]) == set(FORMULAS) | {"LUNG"}


def test_negative_numbers_stay_numbers(tmp_path) -> None:
    inputs = list(map(str, _formula_readings(tmp_path)))[:1]
    assert main(["export", "adam", *inputs, str(tmp_path / "a")]) == 0
    rows = [r for r in _cells(tmp_path / "a" / "adtr.csv") if r["AVISIT"] == "WEEK 8"]
    (row,) = [r for r in rows if r["PARAMCD"] == "SDIAM"]
    # baseline 40 + 22 = 62 mm, week 8: 25 + 14 = 39 mm: (39 - 62) / 62 = -37.10 %
    assert row["CHG"] == "-23.0"
    assert float(row["PCHG"]) == pytest.approx(-37.0967741935, abs=1e-9)
    assert not row["PCHG"].startswith("'")


def test_our_csv_reads_back_exactly(tmp_path) -> None:
    from recist.formats._sdtm_io import read_table

    inputs = list(map(str, _formula_readings(tmp_path)))
    assert main(["export", "sdtm", *inputs, str(tmp_path / "s")]) == 0
    ids = {r["TULNKID"] for r in read_table(tmp_path / "s" / "tu.csv")}
    assert ids == {f"{p.strip()}#{i}" for i, p in enumerate(FORMULAS)} | {"T02"}


@pytest.mark.parametrize(
    "text",
    [*FORMULAS, "-12.5", "+3", "1e5", "", "'", "''=x", "=", "plain", "-", "@"],
)
def test_neutralise_round_trip(text: str) -> None:
    from recist._csv import neutralise, restore

    safe = neutralise(text)
    assert restore(safe) == text
    if text[:1] in TRIGGERS and not NUMBER.fullmatch(text):
        assert safe == "'" + text


# ------------------------------------------------------------- start-up

HEAVY = ("pydicom", "highdicom", "pandas", "SimpleITK", "matplotlib", "pyreadstat")


def _modules_after(*argv: str) -> set[str]:
    code = (
        "import sys\n"
        "from recist.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)), "
        "file=sys.stderr)\n"
    )
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return set(done.stderr.strip().splitlines()[-1].split())


def test_help_imports_no_command_module() -> None:
    # The issue: building the parser imported every export/import module
    # (pydicom's SR code dictionary alone 0.4-0.6 s).
    loaded = _modules_after("--help")
    assert not loaded & {*HEAVY, "pydantic", "numpy"}, loaded & {*HEAVY, "numpy"}


def test_assess_imports_only_what_it_needs(tmp_path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(reading_doc("S1")))
    loaded = _modules_after("assess", str(path))
    assert "pydantic" in loaded  # the case format's schema
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_export_sdtm_help_loads_only_its_format() -> None:
    loaded = _modules_after("export", "sdtm", "--help")
    assert "recist.commands._export_sdtm" in loaded  # its own options
    others = {"recist.export.sr", "recist.export.seg", "recist.export.adam"}
    others |= {"recist.commands._export_sr", "recist.commands._export_seg"}
    others |= {"recist.commands._export_adam", "recist.export.sdtm"}  # not to --help
    assert not loaded & (others | {"recist.export.seg_import", "highdicom"})


def test_command_table_matches_the_modules() -> None:
    import pkgutil

    import recist.commands
    from recist.cli import COMMANDS, build_parser

    modules = {
        m.name
        for m in pkgutil.iter_modules(recist.commands.__path__)
        if not m.name.startswith("_")
    }
    assert {m for m, _ in COMMANDS.values()} == modules
    parser = build_parser()  # every module's own add_subparser
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, (_, help_text) in COMMANDS.items():
        assert helps[name] == help_text, name


def test_every_command_still_parses_its_options(capsys) -> None:
    from recist.cli import COMMANDS

    for name in COMMANDS:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: recist {name}"), out[:80]
    with pytest.raises(SystemExit):
        main(["export", "adam", "--help"])
    assert "--studyid" in capsys.readouterr().out
