"""``recist.cli``: every subcommand's help prints; bad output paths exit 2 early.

Oracle: argparse's own contract (``--help`` exits 0) and the file system.
"""

from __future__ import annotations

import pytest

from recist.cli import build_parser, main


def _commands() -> list[list[str]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    out: list[list[str]] = []
    for name, p in sub.choices.items():  # type: ignore[union-attr]
        out.append([name])
        nested = [a for a in p._actions if a.dest == "format"]
        for action in nested:
            out += [[name, fmt] for fmt in action.choices]  # type: ignore[union-attr]
    return out


@pytest.mark.parametrize("argv", _commands(), ids=" ".join)
def test_every_help_prints(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # `recist summary --help` used to raise TypeError on "best % change".
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    assert "usage: recist" in capsys.readouterr().out


def test_autoread_refuses_a_missing_output_folder_first(tmp_path, capsys) -> None:
    # The seed and study paths are bogus too: the output path is checked first,
    # before minutes of segmentation, and the temporary name is not shown.
    out = tmp_path / "no" / "r.json"
    argv = ["autoread", str(tmp_path), "--seeds", str(tmp_path / "s.json")]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {out}: the folder {out.parent} does not exist\n"
    assert main([*argv, "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
