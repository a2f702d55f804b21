"""A run's map against the scenarios that start later in the campaign (the map skill of ``run.py score``)."""

from __future__ import annotations

import datetime as dt
import shutil

from analysis.consistency import control_agreement, later_scenarios
from simulation import ConflictModel, Faction, load_scenario

from conftest import JULY


def test_a_scenario_agrees_with_itself_at_step_0(july):
    a = ConflictModel(july, seed=1, cell_km=20)
    b = ConflictModel(load_scenario(JULY), seed=2, cell_km=20)  # the initial map ignores the seed
    inside = a.theatre.in_theatre
    agree = control_agreement(a.control[inside], b.control[inside])
    assert agree == dict.fromkeys(["all", "ISIS", "SAA", "SDF", "ISF"], 1.0)
    moved = a.control[inside].copy()
    moved[moved == Faction.SDF] = Faction.ISIS
    agree = control_agreement(moved, b.control[inside])
    assert agree["SDF"] == 0.0 and agree["ISIS"] == 1.0 and agree["all"] < 1.0


def test_later_scenarios_are_the_loadable_ones_starting_inside_the_run(tmp_path, july):
    text = JULY.read_text()
    shutil.copy(JULY, tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text(text.replace("start: 2017-07-04", "start: 2017-08-01"))
    (tmp_path / "c.yaml").write_text(text.replace("start: 2017-07-04", "start: 2017-08-01").replace("manpower: 50000",
                                                                                                 "manpower: -1"))
    (tmp_path / "d.yaml").write_text(text.replace("end: 2017-12-31", "end: 2018-03-01")
                                     .replace("start: 2017-07-04", "start: 2018-02-01"))
    (tmp_path / "variants").mkdir()
    (tmp_path / "variants" / "e.yaml").write_text(text.replace("start: 2017-07-04", "start: 2017-08-02"))
    later, notes = later_scenarios(tmp_path / "a.yaml", july, 20.0)
    assert [s.path.name for s in later] == ["b.yaml"] and later[0].start == dt.date(2017, 8, 1)
    assert len(later[0].control) == ConflictModel(july, cell_km=20).theatre.in_theatre.sum()
    assert [n.split(":")[0] for n in notes] == ["c.yaml", "d.yaml"]
    assert "does not load" in notes[0] and "outside this run" in notes[1]
