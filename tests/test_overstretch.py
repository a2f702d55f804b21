"""Overstretch: garrison need, the ratio, its effect on tempo, and insurgency."""

import numpy as np

from simulation.rules import overstretch
from simulation.scenario import OverstretchRules
from simulation.theatre import Community, theatre_map


def test_garrison_need_grows_with_people_and_hostility():
    tmap = theatre_map(10.0)
    rules = OverstretchRules()
    sdf = overstretch.hostility_layer(tmap, "SDF", rules)
    need = overstretch.garrison_need(tmap, sdf, rules)
    raqqa, qamishli = tmap.place_cell["Raqqa"], tmap.place_cell["Qamishli"]
    assert tmap.community[raqqa] == Community.ARAB and tmap.community[qamishli] == Community.KURDISH
    # Similar populations, but the Arab city needs far more SDF garrison than the Kurdish one.
    assert need[raqqa] > 3 * need[qamishli]
    assert need[tmap.in_theatre].min() > 0


def test_ratio_and_tempo():
    rules = OverstretchRules()
    # (garrisons 12,000 + formations 8,000) / (manpower 50,000 - fixed 10,000)
    assert overstretch.overstretch_ratio(12_000, 8_000, 50_000, 10_000) == 0.5
    assert overstretch.overstretch_ratio(20_000, 10_000, 30_000, 10_000) == 1.5
    assert overstretch.overstretch_ratio(0, 0, 5_000, 10_000) == 0.0
    assert overstretch.overstretch_ratio(0, 1_000, 5_000, 10_000) == float("inf")
    assert overstretch.offensive_tempo(0.5, rules) == 1.0
    assert overstretch.offensive_tempo(1.5, rules) < overstretch.offensive_tempo(1.2, rules) < 1.0


def test_insurgency_only_where_thin_and_near_isis_and_more_when_thinner():
    rules = OverstretchRules(insurgency_rate=0.5)
    n = 20_000
    held = np.ones(n, bool)
    near = np.zeros(n, bool)
    near[: n // 2] = True
    hostility = np.full(n, 2.0)
    few = overstretch.insurgency_flips(held, np.full(n, 0.1), hostility, near, np.random.default_rng(0), rules)
    many = overstretch.insurgency_flips(held, np.full(n, 0.5), hostility, near, np.random.default_rng(0), rules)
    assert not few[n // 2:].any() and not many[n // 2:].any()
    assert many.sum() > 2 * few.sum() > 0


def test_the_insurgents_threat_multiplies_garrison_need_only_within_its_reach():
    rules = OverstretchRules(front_garrison_factor=2.5)
    need = np.array([100.0, 100.0, 40.0])
    near = np.array([True, False, True])
    assert list(overstretch.front_need(need, near, rules)) == [250.0, 100.0, 100.0]
    assert list(overstretch.front_need(need, near, OverstretchRules(front_garrison_factor=1.0))) == list(need)
