"""Going back in time: every day's map kept by the model, the run's history file, and ``run.py viz --replay``.

The browser side (the day slider, a replay in Chromium) is tested in ``test_browser.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulation.export import write_csv
from simulation.factions import Faction
from simulation.model import ConflictModel
from simulation.records import (HISTORY_FILE, HistoryError, besieged_cells, last_recorded_day, read_history,
                                write_history)
from simulation.scenario import load_scenario
from viz.map_data import day_frame, model_layers
from viz.panels import _line_chart, event_feed_html
from viz.replay import Replay, ReplayError

ROOT = Path(__file__).resolve().parent.parent
DAYS = 15


@pytest.fixture(scope="module")
def model():
    """The July scenario at 20 km, 15 days in."""
    return ConflictModel(load_scenario("2017-07-04_raqqa"), seed=2, cell_km=20).run(DAYS)


@pytest.fixture(scope="module")
def run_folder(model, tmp_path_factory):
    """A run folder as ``run.py run`` writes it: the tables the replay reads, and the history file."""
    out = tmp_path_factory.mktemp("run")
    write_csv(model.daily, out / "daily.csv")
    write_csv(model.events, out / "events.csv")
    write_csv(model.strikes, out / "strikes.csv")
    write_history(model, out / HISTORY_FILE)
    return out


def test_every_day_keeps_what_the_map_shows(model):
    tmap = model.theatre
    assert len(model.control_history) == len(model.besieged_history) == len(model.line_history) == DAYS + 1
    assert last_recorded_day(model) == DAYS
    today = model.day_state()
    assert today.step == DAYS and today.date == model.date
    assert np.array_equal(today.control, model.control[tmap.in_theatre])
    theatre = np.flatnonzero(tmap.in_theatre)
    assert np.array_equal(theatre[today.besieged], besieged_cells(model))
    fielded = today.unit_cell >= 0
    units = model.all_units()
    assert fielded.sum() == len(units)
    assert [today.unit_name[i] for i in np.flatnonzero(fielded)] == [u.name for u in units]
    assert np.array_equal(theatre[today.unit_cell[fielded]], [u.k for u in units])
    assert np.allclose(today.unit_strength[fielded], [u.strength for u in units], rtol=1e-6)
    assert (today.line_in_force, today.incidents) == (model.deconfliction.in_force, model.deconfliction.incidents)
    for day in (0, 7):
        assert np.array_equal(model.day_state(day).control, model.control_on(day)[tmap.in_theatre])
    with pytest.raises(ValueError, match=r"the run covers 2017-07-04 \(day 0\) to 2017-07-19 \(day 15\)"):
        model.day_state(DAYS + 1)


def test_the_history_file_gives_back_every_day_as_the_model_kept_it(model, run_folder):
    path = run_folder / HISTORY_FILE
    assert path.stat().st_size < 20_000
    history = read_history(path)
    assert (history.scenario, history.seed, history.cell_km, history.last_day) == (model.spec.name, 2, 20.0, DAYS)
    assert history.deconfliction_line == "euphrates"
    layers = model_layers(model)
    for day in range(DAYS + 1):
        assert day_frame(layers, history.day_state(day)) == day_frame(layers, model.day_state(day))


def test_a_replay_reads_the_run_folder(run_folder, model):
    replay = Replay(run_folder)
    assert replay.last_day == DAYS
    assert len(replay.daily["date"]) == (DAYS + 1) * len(Faction)
    assert [e["event"] for e in replay.event_log] == [e["event"] for e in model.event_log]
    assert sum(int(s["strikes"]) for s in replay.strike_log) == sum(s["strikes"] for s in model.strike_log)
    assert replay.layers() == model_layers(model)
    assert replay.describe().startswith(f"Replay of {run_folder} (read-only): 4 July 2017: the battle for Raqqa, "
                                        "seed 2, 20 km cells, 4 July 2017 to 19 July 2017 (15 days)")


def test_the_charts_mark_and_the_feed_stops_at_the_day_shown():
    chart = _line_chart("t", ["2017-07-04", "2017-07-05"], {"SDF": [1, 2]}, {"SDF": "#fff"}, "x",
                        shown="2017-07-04")
    assert chart["series"][0]["markLine"]["data"] == [{"xAxis": "2017-07-04"}]
    assert "markLine" not in _line_chart("t", ["2017-07-04"], {"SDF": [1]}, {"SDF": "#fff"}, "x")["series"][0]
    events = [{"date": f"2017-07-0{s + 4}", "step": s, "event": "captured", "place": "Suwar", "faction": "SDF",
               "detail": ""} for s in (1, 3, 5)]
    assert event_feed_html(events, 3).count("<tr data-event=") == 2
    assert "No events by this day" in event_feed_html(events, 0)


def test_a_damaged_history_file_is_refused_in_one_line(run_folder, tmp_path):
    damaged = tmp_path / HISTORY_FILE
    damaged.write_bytes((run_folder / HISTORY_FILE).read_bytes()[:3000])
    with pytest.raises(HistoryError, match=r"^history.npz is damaged \(.*\)$"):
        read_history(damaged)
    (tmp_path / "older").mkdir()
    with pytest.raises(ReplayError, match="no history.npz in .*older .a run from before replays were saved"):
        Replay(tmp_path / "older")


def _viz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "viz", "--port", "0", *args], capture_output=True,
                          text=True, timeout=120)


def test_viz_replay_refuses_what_it_cannot_show_before_serving(run_folder, tmp_path):
    older = tmp_path / "older"  # a run from before history files
    shutil.copytree(run_folder, older, ignore=shutil.ignore_patterns(HISTORY_FILE))
    garbled = tmp_path / "garbled"
    shutil.copytree(run_folder, garbled)
    (garbled / HISTORY_FILE).write_bytes(b"not a history file")
    other_run = tmp_path / "other"  # the history of one run beside another's tables
    shutil.copytree(run_folder, other_run)
    (other_run / "daily.csv").write_text("\n".join((run_folder / "daily.csv").read_text().splitlines()[:9]) + "\n")
    cases = {
        tmp_path / "nope": "no such folder",
        older: f"no history.npz in {older} (a run from before replays were saved, or not a run folder): "
               "run it again with run.py run",
        garbled: "history.npz is damaged (",
        other_run: "daily.csv holds 2 days, history.npz 16: not the same run",
    }
    for folder, why in cases.items():
        refused = _viz("--replay", str(folder))
        assert refused.returncode == 2, refused
        assert refused.stdout == ""  # no server was started
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"run.py: error: --replay {folder}: {why}"), lines
    both = _viz("2017-07-04_raqqa", "--replay", str(run_folder))
    assert both.returncode == 2 and both.stderr.strip() == (
        f"run.py: error: --replay {run_folder}: not with a SCENARIO (a replay shows its own run)")
