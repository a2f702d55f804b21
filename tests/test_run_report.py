"""What ``run.py run`` tells its user: a progress bar on a terminal, a summary at the end
and in ``summary.json``, ``--version``, and a cell size refused before the run when it
would not fit in memory."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import pty
import re
import resource
import struct
import subprocess
import sys
import termios

import pytest

from conftest import ROOT

RUN = [sys.executable, str(ROOT / "run.py")]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A 90-day 20 km run of the July scenario: its folder and what it printed."""
    out = tmp_path_factory.mktemp("run") / "out"
    done = subprocess.run([*RUN, "run", "2017-07-04_raqqa", "--days", "90", "--cell-km", "20", "--seed", "2",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_summary_json_holds_the_outcome(finished):
    out, _ = finished
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 2 and summary["days"] == 90 and summary["cell_km"] == 20
    assert summary["start"] == "2017-07-04" and summary["end"] == "2017-10-02"
    assert set(summary["area_km2"]) == {"ISIS", "SAA", "SDF", "ISF"}
    isis = summary["area_km2"]["ISIS"]
    assert isis["end"] < isis["start"]  # 90 days of the campaign shrink ISIS's ground
    assert summary["sdf_peak_overstretch"]["value"] > 0
    assert summary["incidents"] >= 0
    assert set(summary["files"]) == {p.name for p in out.iterdir()}
    by_key = {m["key"]: m for m in summary["milestones"]}
    # The record's dates stand beside the model's; those after the run's end are marked so.
    assert by_key["raqqa_falls"]["record"] == "2017-10-17"
    assert by_key["raqqa_falls"]["in_run"] is False
    assert by_key["al_qaim_falls"]["in_run"] is False and by_key["al_qaim_falls"]["model"] is None
    for m in summary["milestones"]:
        if m.get("days_off") is not None:
            model, record = (dt.date.fromisoformat(m[k]) for k in ("model", "record"))
            assert (model - record).days == m["days_off"]


def test_the_printed_summary_says_the_same(finished):
    out, printed = finished
    summary = json.loads((out / "summary.json").read_text())
    assert printed.splitlines()[0].startswith(summary["scenario"])
    for m in summary["milestones"]:
        assert m["label"][:46] in printed
        if m["model"] and m["kind"] == "date":
            assert m["model"] in printed
    for faction, area in summary["area_km2"].items():
        assert f"{area['end']:,.0f}" in printed and faction in printed
    assert f"peak {summary['sdf_peak_overstretch']['value']:.2f}" in printed
    assert "summary.json" in printed and str(out) in printed


def test_quiet_prints_one_line_and_no_progress(tmp_path):
    done = subprocess.run([*RUN, "--days", "3", "--cell-km", "20", "--quiet", "--out", "out"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines() == ["4 July 2017: the battle for Raqqa: 3 days, seed 1 -> out/"]
    assert (tmp_path / "out" / "summary.json").is_file()


def _run_on_a_terminal(args, cwd) -> tuple[int, str]:
    """Run ``run.py`` with its stderr on a pseudo-terminal: exit code and what the terminal showed."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    proc = subprocess.Popen([*RUN, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=child)
    os.close(child)
    shown = b""
    try:
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
    finally:
        code = proc.wait(timeout=120)
        os.close(main)
    return code, shown.decode(errors="replace")


def test_a_terminal_sees_a_progress_bar_and_quiet_silences_it(tmp_path):
    code, shown = _run_on_a_terminal(["--days", "90", "--cell-km", "20", "--out", "a"], tmp_path)
    # The bar counts the days and names the model's date (it clears itself when done).
    assert code == 0 and re.search(r"running: .*\b[1-9]\d*/90 .*day.*2017-\d\d-\d\d", shown), shown
    assert "Traceback" not in shown and "Warning" not in shown
    code, shown = _run_on_a_terminal(["--days", "20", "--cell-km", "20", "--out", "b", "--quiet"], tmp_path)
    assert code == 0 and shown == ""


def test_version_names_the_model_mesa_and_python():
    done = subprocess.run([*RUN, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    words = done.stdout.split()
    assert words[0] == "run.py" and words[1][0].isdigit() and "Mesa" in done.stdout and "Python" in done.stdout


def _under_memory_limit(limit_mb: int):
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb * 2**20, limit_mb * 2**20))
    return limit


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="address-space limits as on Linux")
def test_a_cell_size_that_would_not_fit_is_refused_before_the_run(tmp_path):
    # Under a 3 GB address-space limit a 10 km run fits, and a 2 km one (about 3.5 GB) does not.
    run = [*RUN, "run", "2017-07-04_raqqa", "--days", "1", "--quiet"]
    done = subprocess.run([*run, "--cell-km", "2", "--out", "fine"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, preexec_fn=_under_memory_limit(3000))
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 1, lines
    assert lines[0].startswith("run.py: error: --cell-km 2: ") and "GB of memory" in lines[0]
    coarser = float(lines[0].rsplit("--cell-km ", 1)[1].split()[0])
    assert 2 < coarser <= 10
    assert not any(tmp_path.iterdir())
    done = subprocess.run([*run, "--cell-km", "10", "--out", "fine"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, preexec_fn=_under_memory_limit(3000))
    assert done.returncode == 0, done.stderr


def test_the_memory_estimate_grows_as_cells_shrink(july):
    from simulation.sizing import scenario_memory_mb

    sizes = [50, 20, 10, 5, 3, 2]
    estimates = [scenario_memory_mb(july, k) for k in sizes]
    assert estimates == sorted(estimates)
    base = estimates[0]
    # The reach matrices grow as the fourth power of 1/cell size: halving 4 km to 2 km
    # multiplies what is above the base by about 16.
    ratio = (scenario_memory_mb(july, 2) - base) / (scenario_memory_mb(july, 4) - base)
    assert 12 < ratio < 17
