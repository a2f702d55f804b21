"""The browser app's Python side: levers, map payloads, panels and ``run.py viz``'s errors.

The browser itself is tested in ``test_browser.py``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulation.factions import Faction
from simulation.geography import project
from simulation.model import ConflictModel
from simulation.scenario import load_scenario
from viz.levers import CampaignModel, lever_overrides, model_params, scenario_choice, shipped_scenarios
from viz.map_data import MapFrame, day_frame, model_layers
from viz.panels import daily_series, event_feed_html, event_line, strikes_per_day

ROOT = Path(__file__).resolve().parent.parent
JULY = ROOT / "scenarios" / "2017-07-04_raqqa.yaml"


@pytest.fixture(scope="module")
def stepped():
    """The July scenario at 20 km, 25 days in."""
    return CampaignModel(cell_km=20).run(25)


def test_picker_lists_every_shipped_scenario_and_variant():
    names = shipped_scenarios()
    assert "2017-07-04_raqqa" in names and "variants/no_russian_air" in names
    assert len(names) == 3 + 6
    assert scenario_choice(ROOT / "scenarios" / "variants" / "sdf_30000.yaml") == "variants/sdf_30000"
    assert scenario_choice("elsewhere.yaml") == str(Path("elsewhere.yaml").resolve())
    params = model_params()
    assert set(params) == {"scenario_name", "seed", "coalition_air", "russian_air", "sdf_manpower",
                           "turkish_pressure", "deconfliction", "incident_rate"}
    assert params["scenario_name"]["values"] == names


def test_neutral_levers_leave_the_scenario_alone():
    spec = load_scenario(JULY)
    assert lever_overrides(spec) == {}
    assert lever_overrides(spec, coalition_air=0.5, russian_air=0.0, sdf_manpower="30,000",
                           turkish_pressure="16,700", deconfliction="off", incident_rate="0.05") == {
        "air.coalition.sorties_per_day": spec.air.coalition.sorties_per_day * 0.5,
        "air.russia.sorties_per_day": 0.0,
        "sdf.manpower": 30000,
        "sdf.fixed_commitment": 16700,
        "rules.deconfliction.enabled": False,
        "rules.deconfliction.incident_rate": 0.05,
    }


def test_levers_run_exactly_like_run_set_overrides():
    viewed = CampaignModel(seed=3, cell_km=20, sdf_manpower="30,000", russian_air=0.5)
    direct = ConflictModel(load_scenario(JULY, viewed.overrides), seed=3, cell_km=20)
    assert viewed.overrides["sdf.manpower"] == 30000
    assert viewed.spec.sdf.manpower == 30000 and not viewed.refused
    viewed.run(15)
    direct.run(15)
    assert np.array_equal(viewed.control, direct.control)
    assert viewed.event_log == direct.event_log


def test_levers_that_break_the_checks_are_refused_with_the_checkers_line():
    model = CampaignModel(cell_km=20, sdf_manpower="20,000", turkish_pressure="25,000")
    assert model.overrides == {}
    assert model.refused == ["levers not applied: --set sdf.fixed_commitment: must not exceed sdf.manpower "
                             "(20000), got 25000"]
    assert model.spec.sdf.manpower == load_scenario(JULY).sdf.manpower


def test_a_scenario_file_broken_while_the_viewer_runs_is_refused_not_raised(tmp_path):
    edited = tmp_path / "mine.yaml"
    edited.write_text(f"extends: {JULY}\nsdf:\n  manpower: 40000\n")
    assert CampaignModel(scenario_name=str(edited), cell_km=20).spec.sdf.manpower == 40000
    edited.write_text(f"extends: {JULY}\nsdf:\n  manpower: -40000\n")  # then, before Reset
    model = CampaignModel(scenario_name=str(edited), cell_km=20, sdf_manpower="30,000")
    assert model.refused == [f"scenario {edited} not loaded (showing 2017-07-04_raqqa): {edited}:3: "
                             "sdf.manpower: must be a number ≥ 0, got -40000"]
    assert model.scenario_name == "2017-07-04_raqqa" and model.spec.sdf.manpower == 30000


def test_the_day_frame_carries_the_models_state(stepped):
    model = stepped
    tmap = model.theatre
    cells = np.flatnonzero(tmap.in_theatre)
    frame = day_frame(model_layers(model), model.day_state())
    holder = np.frombuffer(frame["holder"].encode("ascii"), dtype=np.uint8) - ord("0")
    assert np.array_equal(holder, model.control[cells])
    assert frame["day"] == 25 and frame["date"] == model.date.isoformat()
    unsupplied = [i for i, k in enumerate(cells) if not model.supplied[Faction(model.control[k])][k]]
    assert frame["besieged"] == unsupplied
    assert len(frame["units"]) == len(model.all_units())
    for u, shown in zip(model.all_units(), frame["units"]):
        assert cells[shown["cell"]] == u.k and shown["faction"] == int(u.faction)
    # One marker per faction and cell, carrying every unit's fighters.
    markers = frame["markers"]
    stacks = {(int(u.faction), u.k) for u in model.all_units()}
    assert len(markers) == len(stacks)
    assert sum(m["count"] for m in markers) == len(model.all_units())
    assert sum(m["strength"] for m in markers) == pytest.approx(sum(u.strength for u in model.all_units()), abs=len(markers))
    radius = sorted((m["strength"], m["r"]) for m in markers)
    assert all(r0 <= r1 for (_, r0), (_, r1) in zip(radius, radius[1:]))


def test_static_layers_fit_the_canvas_and_put_places_on_their_cells(stepped):
    model = stepped
    layers = model_layers(model)
    x, y = np.array(layers["x"]), np.array(layers["y"])
    assert x.min() > 0 and x.max() < layers["width"] and y.min() > 0 and y.max() < layers["height"]
    for polyline in layers["borders"] + layers["rivers"] + layers["line"]:
        xs, ys = np.array(polyline[0::2]), np.array(polyline[1::2])
        assert xs.min() >= -1 and xs.max() <= layers["width"] + 1
        assert ys.min() >= -1 and ys.max() <= layers["height"] + 1
    tmap = model.theatre
    cells = np.flatnonzero(tmap.in_theatre)
    frame = MapFrame(tmap)
    for name in ("Raqqa", "Mosul", "Palmyra", "Hasakah"):  # away from borders
        place = tmap.geography.place(name)
        px, py = frame.px(*project(place.lon, place.lat))
        nearest = cells[np.argmin(np.hypot(x - px, y - py))]
        assert nearest == tmap.place_cell[place.name], name
    # North is up: Qamishli (37.05 N) is drawn above Palmyra (34.55 N).
    labels = {label["name"]: label for label in layers["labels"]}
    assert labels["Qamishli"]["y"] < labels["Palmyra"]["y"]


def test_panels_series_and_event_feed(stepped):
    model = stepped
    dates, area = daily_series(model.datacollector.tables["daily"], "area_km2")
    assert len(dates) == 26 and set(area) == {f.name for f in Faction}
    assert area["ISIS"][-1] == pytest.approx(model.area_held(Faction.ISIS), rel=1e-3)
    strikes = strikes_per_day(model.strike_log, dates)
    assert sum(strikes["coalition"]) + sum(strikes["russia"]) == sum(s["strikes"] for s in model.strike_log)
    html = event_feed_html(model.event_log)
    assert html.count("<tr data-event=") == min(len(model.event_log), 80)
    assert event_line({"event": "captured", "place": "Raqqa", "faction": "SDF", "detail": "from ISIS",
                       "date": "2017-10-17"}) == "SDF takes Raqqa (from ISIS)"
    assert event_line({"event": "unit_destroyed", "place": "", "faction": "ISIS", "detail": "Hawija group surrendered",
                       "date": "2017-07-06"}) == "ISIS loses a unit (Hawija group surrendered)"
    assert "&lt;b&gt;" in event_feed_html([{"event": "incident", "place": "<b>", "faction": "SAA",
                                            "detail": "", "date": "2017-08-01"}])


def _values(v) -> int:
    """How many values reacton walks in a component's arguments: every list, tuple and dict, all the way down."""
    if isinstance(v, dict):
        return 1 + sum(_values(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return 1 + sum(_values(x) for x in v)
    return 1


def test_no_component_is_handed_a_whole_run_to_walk_at_each_render():
    # Reacton walks and copies every list and dict in every component's arguments at each
    # render. Handed the map's fixed layers and the run's tables, the page spent a few hundred
    # milliseconds a day of Play doing so; on a loaded machine a render then outlasted Play's
    # interval, and pausing could lock the page in renders until Solara gave up with an error.
    # After 180 days, each component's arguments stay a few charts' worth of values.
    import solara

    from viz.page import CampaignView

    model = CampaignModel()
    for _ in range(180):
        model.step()
    _, rendered = solara.render(CampaignView(model), handle_error=False)
    try:
        walked, contexts = {}, [rendered.context_root]
        while contexts:
            context = contexts.pop()
            for element in context.elements.values():
                name = getattr(element.component, "name", str(element.component))
                walked[name] = max(walked.get(name, 0), _values(element.kwargs) + _values(element.args))
            contexts.extend(context.children.values())
    finally:
        rendered.close()
    assert {"CampaignMap", "CampaignCharts", "EventFeed"} <= set(walked)
    assert max(walked.values()) < 2_000, sorted(walked.items(), key=lambda item: -item[1])[:4]


def _viz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "viz", *args], capture_output=True,
                          text=True, timeout=60)


def test_viz_refuses_bad_input_in_one_line(tmp_path):
    missing = _viz(str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [f"run.py: error: {tmp_path / 'nope.yaml'}: no such scenario file"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: " + str(JULY) + "\nsdf:\n  manpower: -5\n")
    wrong = _viz(str(bad))
    assert wrong.returncode == 2 and "sdf.manpower" in wrong.stderr and "Traceback" not in wrong.stderr
    port = _viz("--port", "70000")
    assert port.returncode == 2 and "--port" in port.stderr and len(port.stderr.strip().splitlines()) == 1
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        in_use = busy.getsockname()[1]
        taken = _viz("--port", str(in_use))
    assert taken.returncode == 2
    assert taken.stderr.strip() == (f"run.py: error: --port {in_use}: already in use on "
                                    "127.0.0.1; pick another with --port")
