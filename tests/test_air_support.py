"""Air support: where each arm may strike, how strikes are shared and what they do."""

import numpy as np

from simulation.factions import AirArm
from simulation.roles import air_permitted_cells
from simulation.rules import air_support
from simulation.scenario import AirSupportRules
from simulation.theatre import Country, theatre_map


def test_deconfliction_splits_the_air_space():
    tmap = theatre_map(10.0)
    russia = air_permitted_cells(tmap, AirArm.RUSSIA, tmap.bank, True)
    coalition = air_permitted_cells(tmap, AirArm.COALITION, tmap.bank, True)
    assert not (russia & coalition).any()
    assert (tmap.country[russia] == Country.SYRIA).all() and (tmap.bank[russia] < 0).all()
    syria_coalition = coalition & (tmap.country == Country.SYRIA)
    assert (tmap.bank[syria_coalition] > 0).all()
    assert coalition[tmap.country == Country.IRAQ].all()
    # Without the split both fly over all of Syria; Russia still never over Iraq.
    russia_free = air_permitted_cells(tmap, AirArm.RUSSIA, tmap.bank, False)
    assert russia_free[tmap.country == Country.SYRIA].all()
    assert not russia_free[tmap.country == Country.IRAQ].any()


def test_strikes_share_the_budget_by_weight():
    rng = np.random.default_rng(0)
    strikes = air_support.allocate_strikes(100, np.array([3.0, 1.0, 0.0]), rng)
    assert strikes.sum() == 100 and strikes[2] == 0 and strikes[0] > strikes[1]
    assert air_support.allocate_strikes(0, np.array([1.0]), rng).sum() == 0


def test_repeated_strikes_and_towns_yield_less():
    rules = AirSupportRules()
    one, ten = air_support.fighters_killed(np.array([1, 10]), np.array([False, False]), rules)
    assert one < ten < 10 * one
    open_, town = air_support.fighters_killed(np.array([10, 10]), np.array([False, True]), rules)
    assert town < open_


def test_strikes_where_people_live_add_civilian_harm():
    rules = AirSupportRules()
    assert air_support.civilian_harm(np.array([5]), np.array([0.0]), rules) == 0
    assert air_support.civilian_harm(np.array([5]), np.array([200_000.0]), rules) > 0
