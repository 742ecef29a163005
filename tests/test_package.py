"""Package-level checks: headless import, CLI entry point."""

import subprocess
import sys

import pytest

from recist.cli import main


def test_import_recist_is_headless():
    code = (
        "import sys, recist, measurements, recist.cli;"
        "heavy = {'SimpleITK', 'highdicom', 'napari', 'qtpy', 'PyQt5', 'PyQt6',"
        " 'vispy', 'pandas', 'matplotlib', 'pydantic'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_cli_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage: recist" in out
    for name in (
        "info",
        "convert",
        "assess",
        "autoread",
        "export",
        "import",
        "report",
        "summary",
        "view",
    ):
        assert f"    {name} " in out, name


def test_cli_without_command_exits_2(capsys):
    assert main([]) == 2
