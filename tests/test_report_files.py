"""A report's files: all written together, or an output folder left as it was."""

from __future__ import annotations

import os

import pytest

from analysis.report_files import ReportError, report_folder


def test_the_files_arrive_together_and_others_stay(tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with report_folder(out, ["a.csv", "b.md"]) as tmp:
        (tmp / "a.csv").write_text("x\n1\n")
        (tmp / "b.md").write_text("# b\n")
        assert not (out / "a.csv").exists()
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.md", "mine.txt"]


def test_a_failed_report_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "report"
    with pytest.raises(RuntimeError), report_folder(out, ["a.csv"]) as tmp:
        (tmp / "a.csv").write_text("half")
        raise RuntimeError("the plot failed")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["a_file", "a_file/inside"])
def test_a_bad_output_path_fails_cleanly(tmp_path, bad):
    (tmp_path / "a_file").write_text("keep me")
    with pytest.raises(ReportError, match="--out"), report_folder(tmp_path / bad, ["x.csv"]):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
    assert (tmp_path / "a_file").read_text() == "keep me"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_fails_cleanly(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ReportError, match="cannot write"), report_folder(locked / "report", ["x.csv"]):
            pass
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)
