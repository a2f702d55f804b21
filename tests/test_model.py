"""The whole model: reproducibility, invariants, and the three rules' effects over seeds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from simulation import ConflictModel, Faction

from conftest import JULY, ROOT

SEEDS = range(1, 11)


def run_cli(out, seed, days=60):
    subprocess.run([sys.executable, str(ROOT / "run.py"), "run", str(JULY), "--seed", str(seed),
                    "--days", str(days), "--out", str(out)], check=True, capture_output=True)
    return (out / "daily.csv").read_bytes(), (out / "events.csv").read_bytes()


def test_same_seed_same_run_in_separate_processes(tmp_path):
    first = run_cli(tmp_path / "a", seed=5)
    second = run_cli(tmp_path / "b", seed=5)
    other = run_cli(tmp_path / "c", seed=6)
    assert first == second
    assert first[0] != other[0]


def test_invariants_hold_every_day(july):
    model = ConflictModel(july, seed=2)
    theatre_area = model.theatre.theatre_area_km2
    for _ in range(july.days):
        model.step()
        areas = [model.area_held(f) for f in Faction]
        assert sum(areas) == pytest.approx(theatre_area, rel=1e-3)
        for unit in model.all_units():
            assert unit.strength >= 0
            assert not model.hostile[unit.faction, model.control[unit.k]], unit
    daily = model.daily
    assert (daily.groupby("step").area_km2.sum() / theatre_area).between(0.999, 1.001).all()
    assert (daily.strength >= 0).all() and len(daily) == 4 * (july.days + 1)


def variant(july, **overrides):
    return july.with_overrides(overrides)


def runs(scenario, seeds=SEEDS, cell_km=None):
    return [ConflictModel(scenario, seed=s, cell_km=cell_km).run() for s in seeds]


def side_of(model, lat, lon):
    k = model.theatre.nearest_cell(lon, lat)
    return model.theatre.country[k], model.line_side[k]


def saa_sdf_fights(model) -> int:
    pairs = model.engagements.attacker + "-" + model.engagements.defender
    return int(pairs.isin(["SAA-SDF", "SDF-SAA"]).sum())


def test_with_deconfliction_air_arms_keep_to_their_side_and_saa_sdf_never_fight(july):
    for model in runs(july, seeds=range(1, 9), cell_km=20):
        assert model.deconfliction.in_force or model.deconfliction.broken_on_step is not None
        live = model.strikes[model.strikes.step <= (model.deconfliction.broken_on_step or 10**6)]
        for row in live.itertuples():
            country, side = side_of(model, row.lat, row.lon)
            if row.air_arm == "russia":
                assert country == 1 and side < 0
            elif country == 1:
                assert side > 0
        if model.deconfliction.in_force:
            assert saa_sdf_fights(model) == 0
            captured = model.events[model.events.event == "captured"]
            assert not captured[captured.faction.isin(["SAA", "SDF"])].detail.isin(["from SAA", "from SDF"]).any()


@pytest.mark.slow
def test_without_deconfliction_saa_and_sdf_can_fight(july):
    off = variant(july, **{"rules.deconfliction.enabled": False})
    clashes = 0
    for model in runs(off, seeds=range(1, 9), cell_km=20):
        clashes += saa_sdf_fights(model)
        captured = model.events[(model.events.event == "captured") & model.events.faction.isin(["SAA", "SDF"])]
        clashes += int(captured.detail.isin(["from SAA", "from SDF"]).sum())
    assert clashes > 0


def sdf_figures(model):
    sdf = model.daily[model.daily.faction == "SDF"]
    return sdf.overstretch.mean(), sdf.area_km2.iloc[120] - sdf.area_km2.iloc[0]


@pytest.mark.slow
def test_overstretch_has_teeth(july):
    base = [sdf_figures(m) for m in runs(july)]
    thin = [sdf_figures(m) for m in runs(variant(july, **{"sdf.manpower": 30000}))]
    assert np.median([r for r, _ in thin]) > np.median([r for r, _ in base])
    assert np.median([g for _, g in thin]) < np.median([g for _, g in base])


def siege_broken_day(model):
    ev = model.events
    hit = ev[(ev.event == "siege_broken") & (ev.place == "Deir ez-Zor") & (ev.faction == "SAA")]
    return int(hit.step.min()) if len(hit) else model.steps + 1


@pytest.mark.slow
def test_russian_air_support_has_teeth(july):
    with_air = [siege_broken_day(m) for m in runs(july)]
    without = [siege_broken_day(m) for m in runs(variant(july, **{"air.russia.sorties_per_day": 0}))]
    assert np.median(without) > np.median(with_air)


@pytest.mark.slow
def test_july_baseline_has_the_campaigns_broad_shape(july):
    for model in runs(july, seeds=range(1, 6)):
        isis = model.daily[model.daily.faction == "ISIS"]
        assert isis.area_km2.iloc[-1] < 0.5 * isis.area_km2.iloc[0]  # ISIS loses most of its ground
        raqqa = model.theatre.place_cell["Raqqa"]
        assert model.control[raqqa] == Faction.SDF  # Raqqa falls to the SDF
        assert siege_broken_day(model) <= model.steps  # the SAA relieves Deir ez-Zor
        assert model.control[model.theatre.place_cell["Deir ez-Zor"]] == Faction.SAA


@pytest.mark.slow
def test_isis_retakes_ground_where_the_sdf_is_stretched_thin(july):
    thin = variant(july, **{"sdf.manpower": 30000})
    regained = 0.0
    for model in runs(thin, seeds=range(1, 11), cell_km=20):
        isis = model.daily[model.daily.faction == "ISIS"].area_km2
        regained += isis.diff().clip(lower=0).sum()  # days on which ISIS's ground grew
    assert regained > 0


def test_a_finished_model_is_freed_so_long_sweeps_keep_flat_memory(july):
    import gc
    import weakref

    model = ConflictModel(july, seed=1, cell_km=20).run(days=2)
    gone = weakref.ref(model)
    del model
    gc.collect()
    assert gone() is None


def test_a_citys_ring_is_its_centre_and_the_theatre_within_twelve_km(july):
    from simulation.records import CITY_RING_KM, city_rings

    model = ConflictModel(july, seed=1, cell_km=20)
    tmap = model.theatre
    rings = city_rings(tmap)
    assert "Raqqa" in rings.names and rings.starts[0] == 0
    for i, name in enumerate(rings.names):
        centre = tmap.place_cell[name]
        end = rings.starts[i + 1] if i + 1 < len(rings.names) else rings.cells.size
        near = tmap.in_theatre & (tmap.distance_km([centre], np.arange(tmap.n_cells))[0] <= CITY_RING_KM)
        near[centre] = True
        ring = set(rings.cells[rings.starts[i]:end].tolist())
        assert ring == set(np.flatnonzero(near).tolist())
        # The insurgent is in a city's ring while it holds any cell of it: here none, then one of this one's.
        control = np.full(tmap.n_cells, int(Faction.SDF), dtype=np.int8)
        assert not rings.insurgent_in(control).any()
        control[centre] = int(Faction.ISIS)
        assert rings.insurgent_in(control)[i]
        ends = [*rings.starts[1:], rings.cells.size]
        assert rings.insurgent_in(control).sum() == sum(centre in rings.cells[s:e] for s, e in zip(rings.starts, ends))
