"""The roles table (simulation/roles.py): who fights whom, where each side may take ground, who flies where."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.factions import AirArm, Faction
from simulation.roles import (AIR_ROLES, ATTACKERS, INSURGENT, LINE_COUNTRY, LINE_PAIR, ROLES, air_permitted_cells,
                              hostility_matrix, operating_areas)
from simulation.theatre import Country, theatre_map

ISIS, SAA, SDF, ISF = Faction.ISIS, Faction.SAA, Faction.SDF, Faction.ISF


@pytest.fixture(scope="module")
def tmap():
    return theatre_map(20.0)


def test_every_faction_and_air_arm_has_a_role():
    assert set(ROLES) == set(Faction)
    assert set(AIR_ROLES) == set(AirArm)


def test_named_roles():
    assert INSURGENT == ISIS
    assert ATTACKERS == (SAA, SDF, ISF)
    assert LINE_PAIR == (SAA, SDF)  # south-west side first
    assert ROLES[SAA].line_side == -1 and ROLES[SDF].line_side == +1
    assert LINE_COUNTRY == Country.SYRIA


# ---- hostility --------------------------------------------------------------------------------
@pytest.mark.parametrize("line_in_force", [True, False])
def test_hostility_is_symmetric_and_no_side_is_its_own_enemy(line_in_force):
    h = hostility_matrix(line_in_force)
    assert h.shape == (len(Faction), len(Faction)) and h.dtype == bool
    assert (h == h.T).all()
    assert not h.diagonal().any()


@pytest.mark.parametrize("line_in_force", [True, False])
def test_isis_is_everyones_enemy(line_in_force):
    h = hostility_matrix(line_in_force)
    for f in Faction:
        if f != ISIS:
            assert h[ISIS, f] and h[f, ISIS]


def test_saa_and_sdf_fight_only_when_the_line_is_not_in_force():
    assert not hostility_matrix(True)[SAA, SDF]
    assert hostility_matrix(False)[SAA, SDF] and hostility_matrix(False)[SDF, SAA]


@pytest.mark.parametrize("line_in_force", [True, False])
def test_iraqi_forces_fight_only_isis(line_in_force):
    h = hostility_matrix(line_in_force)
    assert [Faction(g) for g in np.flatnonzero(h[ISF])] == [ISIS]


def test_breaking_the_line_adds_exactly_the_saa_sdf_pair():
    diff = hostility_matrix(False) & ~hostility_matrix(True)
    assert {(Faction(a), Faction(b)) for a, b in np.argwhere(diff)} == {(SAA, SDF), (SDF, SAA)}
    assert not (hostility_matrix(True) & ~hostility_matrix(False)).any()


# ---- operating areas --------------------------------------------------------------------------
def test_iraqi_forces_operate_only_in_iraq(tmap):
    for line_in_force in (True, False):
        area = operating_areas(tmap, tmap.bank, line_in_force)[ISF]
        assert (area == (tmap.in_theatre & (tmap.country == Country.IRAQ))).all()
        assert area.any()


def test_saa_and_sdf_keep_to_their_side_of_the_line_in_syria_while_it_holds(tmap):
    syria = tmap.in_theatre & (tmap.country == Country.SYRIA)
    areas = operating_areas(tmap, tmap.bank, True)
    assert (areas[SAA] == (syria & (tmap.bank < 0))).all()
    assert (areas[SDF] == (syria & (tmap.bank > 0))).all()
    assert areas[SAA].any() and areas[SDF].any()
    assert not (areas[SAA] & areas[SDF]).any()
    assert ((areas[SAA] | areas[SDF]) == syria).all()  # every Syrian cell is on one side or the other


def test_once_the_line_breaks_saa_and_sdf_may_take_ground_anywhere_in_syria(tmap):
    syria = tmap.in_theatre & (tmap.country == Country.SYRIA)
    areas = operating_areas(tmap, tmap.bank, False)
    assert (areas[SAA] == syria).all() and (areas[SDF] == syria).all()


def test_isis_may_take_ground_anywhere_in_the_theatre(tmap):
    for line_in_force in (True, False):
        assert (operating_areas(tmap, tmap.bank, line_in_force)[ISIS] == tmap.in_theatre).all()


def test_no_one_operates_outside_the_theatre(tmap):
    for line_in_force in (True, False):
        for area in operating_areas(tmap, tmap.bank, line_in_force).values():
            assert not area[~tmap.in_theatre].any()


def test_operating_areas_follow_the_line_given(tmap):
    # A line that puts every cell on the north-east side leaves the SAA nowhere while it holds.
    everywhere_ne = np.ones(tmap.n_cells, dtype=np.int8)
    areas = operating_areas(tmap, everywhere_ne, True)
    assert not areas[SAA].any()
    assert (areas[SDF] == (tmap.in_theatre & (tmap.country == Country.SYRIA))).all()


# ---- air space --------------------------------------------------------------------------------
def test_russia_never_flies_over_iraq(tmap):
    iraq = tmap.country == Country.IRAQ
    for line_in_force in (True, False):
        assert not air_permitted_cells(tmap, AirArm.RUSSIA, tmap.bank, line_in_force)[iraq].any()


def test_the_coalition_flies_over_all_of_iraq(tmap):
    iraq = tmap.in_theatre & (tmap.country == Country.IRAQ)
    for line_in_force in (True, False):
        assert air_permitted_cells(tmap, AirArm.COALITION, tmap.bank, line_in_force)[iraq].all()


def test_while_the_split_holds_the_two_arms_share_no_syrian_cell_and_cover_all_of_syria(tmap):
    syria = tmap.in_theatre & (tmap.country == Country.SYRIA)
    coalition = air_permitted_cells(tmap, AirArm.COALITION, tmap.bank, True)
    russia = air_permitted_cells(tmap, AirArm.RUSSIA, tmap.bank, True)
    assert not (coalition & russia).any()
    assert ((coalition | russia)[syria]).all()
    assert (coalition[syria] == (tmap.bank[syria] > 0)).all()
    assert (russia[syria] == (tmap.bank[syria] < 0)).all()


def test_once_the_split_ends_both_arms_fly_over_all_of_syria(tmap):
    syria = tmap.in_theatre & (tmap.country == Country.SYRIA)
    for arm in AirArm:
        cells = air_permitted_cells(tmap, arm, tmap.bank, False)
        assert (cells[syria]).all()


def test_no_one_flies_outside_the_theatre(tmap):
    for arm in AirArm:
        for line_in_force in (True, False):
            assert not air_permitted_cells(tmap, arm, tmap.bank, line_in_force)[~tmap.in_theatre].any()


def test_each_air_arm_keeps_to_the_side_of_the_ground_forces_it_supports(tmap):
    # The coalition flies on the SDF's side of the line, Russia on the SAA's.
    assert AIR_ROLES[AirArm.COALITION].line_side == ROLES[SDF].line_side
    assert AIR_ROLES[AirArm.RUSSIA].line_side == ROLES[SAA].line_side
    areas = operating_areas(tmap, tmap.bank, True)
    assert (air_permitted_cells(tmap, AirArm.RUSSIA, tmap.bank, True) == areas[SAA]).all()
