"""An --out that cannot be written is refused before any work, in one line, leaving nothing behind.

Every command that writes (run, sweep, score, calibrate) checks its folder first:
below a file, a name too long for the filesystem, or a place no file can go
(/proc, /sys on Linux).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_arguments import AT_ONCE_S, JULY, ROOT, run_py

SWEEP = str(ROOT / "sweeps" / "russian_air_grid.yaml")
COMMANDS = {
    "run": ("run", JULY, "--days", "2", "--cell-km", "20"),
    "sweep": ("sweep", SWEEP),
    "score": ("score", JULY, "--seeds", "1", "--cell-km", "20"),
    "calibrate": ("calibrate", JULY, "--cell-km", "20"),
}


def bad_outs(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Each bad --out, and what its one line must say."""
    (tmp_path / "a_file").write_text("not a folder")
    outs = {
        "below a file": (str(tmp_path / "a_file" / "out"), "a_file is a file, not a folder"),
        "a file itself": (str(tmp_path / "a_file"), "exists and is not a folder"),
        "name too long": (str(tmp_path / ("x" * 300)), "cannot write there"),
    }
    if sys.platform.startswith("linux"):
        outs["under /proc"] = ("/proc/euphrates2017-out", "cannot write there")
    return outs


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", ["below a file", "a file itself", "name too long", "under /proc"])
def test_a_folder_that_cannot_be_written_is_refused_first(tmp_path, command, case):
    outs = bad_outs(tmp_path)
    if case not in outs:
        pytest.skip("no /proc here")
    out, message = outs[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, lines, seconds = run_py(*COMMANDS[command], "--out", out, cwd=tmp_path)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("run.py: error: --out ") and message in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "nothing is written"
    assert seconds < AT_ONCE_S  # refused before any run (each well under a few seconds here)
