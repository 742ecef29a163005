"""``recist._atomic``: outputs appear whole or not at all.

Oracle: the file system after a writer fails midway.
"""

from __future__ import annotations

import pytest

from recist._atomic import check_output_dir, check_output_file, replacing
from recist.errors import OutputPathError, RecistError


def test_failed_write_keeps_the_previous_file(tmp_path) -> None:
    target = tmp_path / "x.nii.gz"
    target.write_bytes(b"previous")
    seen = []

    def write() -> None:
        with replacing(target) as tmp:
            seen.append(tmp)
            tmp.write_bytes(b"par")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write()
    assert seen[0].parent == tmp_path
    assert seen[0].name.endswith(".nii.gz")  # writers choose the format by name
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["x.nii.gz"]


@pytest.mark.parametrize(
    ("make", "name", "reason"),
    [
        pytest.param(None, "no/x.json", "does not exist", id="missing folder"),
        pytest.param("dir", "x.json", "is a folder", id="folder for a file"),
        pytest.param("file", "x.json/y.json", "is not a folder", id="file as folder"),
    ],
)
def test_check_output_file(tmp_path, make, name, reason) -> None:
    if make == "dir":
        (tmp_path / name).mkdir()
    elif make == "file":
        (tmp_path / "x.json").write_text("{}")
    with pytest.raises(OutputPathError, match=reason) as exc:
        check_output_file(tmp_path / name)
    assert isinstance(exc.value, RecistError)
    assert exc.value.path == str(tmp_path / name)


def test_check_output_dir(tmp_path) -> None:
    assert check_output_dir(tmp_path / "a" / "b").is_dir()
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputPathError, match="is a file"):
        check_output_dir(tmp_path / "f")
    with pytest.raises(OutputPathError, match="parent is a file"):
        check_output_dir(tmp_path / "f" / "sub")
