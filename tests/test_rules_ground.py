"""Ground changing hands without a battle (rules/ground.py), on hand-made worlds and the 20 km map.

Most cases use a flower of seven hexes built by hand: centre 0, ring 1..6, each ring
cell touching the centre and its two ring neighbours. Reach matrices are built from
that table, so every figure can be checked by eye.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from simulation.factions import Faction
from simulation.roles import hostility_matrix, operating_areas
from simulation.rules import ground
from simulation.rules.presence import Presence
from simulation.scenario import MovementRules, OverstretchRules
from simulation.theatre import Country, theatre_map

ISIS, SAA, SDF, ISF = (int(f) for f in Faction)
NF = len(Faction)

FLOWER = np.array([
    [1, 2, 3, 4, 5, 6],
    [0, 6, 2, -1, -1, -1],
    [0, 1, 3, -1, -1, -1],
    [0, 2, 4, -1, -1, -1],
    [0, 3, 5, -1, -1, -1],
    [0, 4, 6, -1, -1, -1],
    [0, 5, 1, -1, -1, -1],
])
N = len(FLOWER)


def one_ring(neighbours) -> csr_matrix:
    """Sparse 0/1 matrix: each cell and its neighbours (what ``tmap.within(cell_km)`` gives)."""
    src, slot = np.nonzero(neighbours >= 0)
    rows = np.concatenate([np.arange(len(neighbours)), src])
    cols = np.concatenate([np.arange(len(neighbours)), neighbours[src, slot]])
    return csr_matrix((np.ones(rows.size), (rows, cols)), shape=(len(neighbours), len(neighbours)))


RING = one_ring(FLOWER)


def fighters(*placed) -> Presence:
    """Fighters per faction and cell from units' (faction, cell, strength) triples."""
    return Presence.of_units([f for f, _, _ in placed], [k for _, k, _ in placed], [s for _, _, s in placed], (NF, N))


def zoc(control, presence, pressing=None, may_take=None, pace=1.0, tether=1.0, line_in_force=True, seed=0,
        **params):
    """Run zones_of_control on the flower: every side's pace and tether the same."""
    pressing = presence if pressing is None else pressing
    may_take = np.ones((NF, N), bool) if may_take is None else may_take
    return ground.zones_of_control(np.asarray(control), FLOWER, hostility_matrix(line_in_force), may_take,
                                   presence, pressing, RING, RING, [pace] * NF, np.full((NF, N), tether),
                                   np.random.default_rng(seed), MovementRules(**params))


# ---- own_neighbours ---------------------------------------------------------------------------
def test_own_neighbours_counts_by_hand():
    control = np.array([ISIS, SDF, SDF, ISIS, SAA, ISIS, ISIS])
    # centre: SDF at 1 and 2; cell 3 (neighbours 0, 2, 4): SDF at 2; cell 6 (0, 5, 1): SDF at 1.
    assert list(ground.own_neighbours(control, FLOWER, SDF)) == [2, 1, 1, 1, 0, 0, 1]
    # ISIS: centre 3, 5, 6; cell 1: 0, 6; cell 2: 0, 3; cell 3: 0 (4 is SAA's); cell 4: 0, 3, 5; ...
    # The -1 slots do not count as the last cell (6, ISIS), or cell 1 would count 2 + 3.
    assert list(ground.own_neighbours(control, FLOWER, ISIS)) == [3, 2, 2, 1, 3, 2, 2]


# ---- zones_of_control -------------------------------------------------------------------------
# Centre 0 is ISIS and empty; SDF holds 1 and 2 (two of its neighbours) and attacks from 1.
BASE = np.array([ISIS, SDF, SDF, ISIS, ISIS, ISIS, ISIS])


def test_an_empty_enemy_cell_bordered_by_two_own_cells_is_swept():
    taken = zoc(BASE, fighters((SDF, 1, 1000)))
    # Cells 3 and 6 are pulled on too but border only one SDF cell each: only the centre falls.
    assert set(taken) == {SDF} and list(taken[SDF]) == [0]


def test_a_cell_guarded_by_an_enemy_unit_next_to_it_is_not_swept():
    assert zoc(BASE, fighters((SDF, 1, 1000), (ISIS, 4, 10))) == {}
    assert zoc(BASE, fighters((SDF, 1, 1000), (ISIS, 0, 10))) == {}  # or standing on it


def test_a_unit_of_a_side_at_peace_does_not_guard():
    # An SAA unit next to the centre does not guard ISIS ground against the SDF while the line holds.
    control = BASE.copy()
    control[4] = SAA
    assert list(zoc(control, fighters((SDF, 1, 1000), (SAA, 4, 5000)), pressing=fighters((SDF, 1, 1000)))[SDF]) \
        == [0]


def test_a_cell_bordering_only_one_own_cell_is_not_swept():
    control = BASE.copy()
    control[2] = ISIS
    assert zoc(control, fighters((SDF, 1, 1000))) == {}
    # ...unless the rule asks for one neighbour only
    assert 0 in zoc(control, fighters((SDF, 1, 1000)), zone_of_control_min_neighbours=1)[SDF]


def test_pace_or_tether_zero_sweeps_nothing():
    assert zoc(BASE, fighters((SDF, 1, 1000)), pace=0.0) == {}
    assert zoc(BASE, fighters((SDF, 1, 1000)), tether=0.0) == {}


def test_ground_the_side_may_not_take_is_not_swept():
    may_take = np.ones((NF, N), bool)
    may_take[SDF, 0] = False
    assert zoc(BASE, fighters((SDF, 1, 1000)), may_take=may_take) == {}


def test_units_not_pressing_forward_do_not_sweep():
    assert zoc(BASE, fighters((SDF, 1, 1000)), pressing=fighters()) == {}


def test_own_or_friendly_ground_is_never_swept():
    control = np.array([SAA, SDF, SDF, ISIS, ISIS, ISIS, ISIS])  # the centre is SAA's: not the SDF's enemy
    assert zoc(control, fighters((SDF, 1, 1000))) == {}


def test_the_side_pulling_hardest_takes_a_contested_cell():
    # SDF holds 1, 2 and presses from 1 with 1000; SAA holds 4, 5 and presses from 4 with 3000.
    control = np.array([ISIS, SDF, SDF, ISIS, SAA, SAA, ISIS])
    taken = zoc(control, fighters((SDF, 1, 1000), (SAA, 4, 3000)))
    assert set(taken) == {SAA} and list(taken[SAA]) == [0]
    taken = zoc(control, fighters((SDF, 1, 3000), (SAA, 4, 1000)))
    assert set(taken) == {SDF} and list(taken[SDF]) == [0]


def test_a_sweep_succeeds_with_the_chance_pace_times_tether():
    # pace 0.5 x tether 0.6 = 0.3: over many independent days the centre falls about 30 % of the time.
    hits = sum(0 in zoc(BASE, fighters((SDF, 1, 1000)), pace=0.5, tether=0.6, seed=s).get(SDF, [])
               for s in range(2000))
    assert 0.25 < hits / 2000 < 0.35


# ---- unheld_ground_collapse (20 km map) -------------------------------------------------------
@pytest.fixture(scope="module")
def tmap():
    return theatre_map(20.0)


def pocket_world(tmap, pocket_holder=ISIS, around=SAA):
    """A Syrian cell with a full ring, made a one-cell pocket of ``pocket_holder`` inside ``around``'s ground."""
    k = tmap.place_cell["T4 airbase"]
    assert (tmap.neighbours[k] >= 0).all()
    control = np.full(tmap.n_cells, around, dtype=np.int8)
    control[k] = pocket_holder
    supplied = np.zeros((NF, tmap.n_cells), bool)
    supplied[around] = tmap.in_theatre & (control == around)
    return k, control, supplied


def collapse(tmap, control, supplied, occupied=None, unit_cells=None, attackers=(SAA, SDF, ISF), pace=1.0,
             tether=1.0, seed=0, line_in_force=False, **params):
    occupied = np.zeros(tmap.n_cells, bool) if occupied is None else occupied
    unit_cells = [np.zeros(0, np.int64)] * NF if unit_cells is None else unit_cells
    areas = operating_areas(tmap, tmap.bank, line_in_force)
    may_take = np.stack([areas[f] for f in Faction])
    return ground.unheld_ground_collapse(tmap, control, occupied, supplied, hostility_matrix(line_in_force),
                                         may_take, unit_cells, attackers, [pace] * NF,
                                         np.full((NF, tmap.n_cells), tether), np.random.default_rng(seed),
                                         MovementRules(**params))


def taken_by(result) -> dict[int, set[int]]:
    return {f: {int(k) for k in cells} for f, cells in result if len(cells)}


def test_a_cut_off_empty_pocket_next_to_supplied_ground_falls_in_a_day_at_full_pace(tmap):
    k, control, supplied = pocket_world(tmap)
    assert taken_by(collapse(tmap, control, supplied)) == {SAA: {k}}


def test_collapse_does_not_change_its_input(tmap):
    k, control, supplied = pocket_world(tmap)
    before = control.copy()
    collapse(tmap, control, supplied)
    assert (control == before).all() and control[k] == ISIS


def test_a_pocket_its_holder_stands_in_never_falls(tmap):
    k, control, supplied = pocket_world(tmap)
    occupied = np.zeros(tmap.n_cells, bool)
    occupied[k] = True
    unit_cells = [np.zeros(0, np.int64)] * NF
    unit_cells[ISIS] = np.array([k])
    for seed in range(20):
        assert taken_by(collapse(tmap, control, supplied, occupied, unit_cells, seed=seed)) == {}


def test_only_sides_on_the_offensive_erode_ground(tmap):
    k, control, supplied = pocket_world(tmap)
    assert collapse(tmap, control, supplied, attackers=()) == []
    # The SDF attacks but holds nothing next to the pocket: nothing falls.
    assert taken_by(collapse(tmap, control, supplied, attackers=(SDF, ISF))) == {}


def test_a_besieged_side_does_not_erode_ground(tmap):
    k, control, supplied = pocket_world(tmap)
    supplied[SAA] = False  # the SAA ground round the pocket is itself cut off
    assert taken_by(collapse(tmap, control, supplied)) == {}


def test_pace_zero_erodes_nothing(tmap):
    k, control, supplied = pocket_world(tmap)
    assert taken_by(collapse(tmap, control, supplied, pace=0.0)) == {}
    assert taken_by(collapse(tmap, control, supplied, tether=0.0)) == {}


def test_supplied_ground_with_its_holder_near_does_not_erode(tmap):
    k, control, supplied = pocket_world(tmap)
    supplied[ISIS, k] = True  # the pocket is linked to ISIS's sources (say, by a road off the map)
    unit_cells = [np.zeros(0, np.int64)] * NF
    # An ISIS unit 20 km away, within hold_reach_km (40); the rule reads only its cell, not who holds it.
    unit_cells[ISIS] = np.array([tmap.neighbours[k][0]])
    for seed in range(20):
        assert taken_by(collapse(tmap, control, supplied, unit_cells=unit_cells, seed=seed)) == {}


def test_supplied_but_unheld_ground_erodes_at_the_unheld_share(tmap):
    k, control, supplied = pocket_world(tmap)
    supplied[ISIS, k] = True  # supplied, but no ISIS unit anywhere: unheld
    assert taken_by(collapse(tmap, control, supplied, unheld_sweep_share=1.0)) == {SAA: {k}}
    assert taken_by(collapse(tmap, control, supplied, unheld_sweep_share=0.0)) == {}
    falls = sum(bool(taken_by(collapse(tmap, control, supplied, unheld_sweep_share=0.4, seed=s)))
                for s in range(1000))
    assert 0.33 < falls / 1000 < 0.47


def test_only_enemy_ground_in_the_operating_area_erodes(tmap):
    # An SDF pocket in SAA ground while the line holds: the two are not enemies, nothing falls.
    k, control, supplied = pocket_world(tmap, pocket_holder=SDF)
    assert taken_by(collapse(tmap, control, supplied, line_in_force=True)) == {}
    # An ISIS pocket in Iraq cannot be taken by the SAA (it fights only in Syria).
    k = next(int(c) for c in np.flatnonzero(tmap.in_theatre & (tmap.country == Country.IRAQ))
             if (tmap.neighbours[c] >= 0).all())
    control = np.full(tmap.n_cells, SAA, dtype=np.int8)
    control[k] = ISIS
    supplied = np.zeros((NF, tmap.n_cells), bool)
    supplied[SAA] = tmap.in_theatre
    supplied[SAA, k] = False
    assert taken_by(collapse(tmap, control, supplied)) == {}


# ---- far_from_holders -------------------------------------------------------------------------
def test_far_from_holders_by_hand(tmap):
    k = tmap.place_cell["T4 airbase"]
    n1 = int(tmap.neighbours[k][0])
    # Neighbouring hex centres are one cell size (20 km) apart.
    assert tmap.distance_km(k, tmap.neighbours[k]) == pytest.approx(np.full((1, 6), 20.0))
    control = np.full(tmap.n_cells, ISIS, dtype=np.int8)
    units = [np.zeros(0, np.int64)] * NF
    units[ISIS] = np.array([n1])
    cells = np.array([k, n1])
    # Its own cell: 0 km; the neighbour: 20 km.
    assert list(ground.far_from_holders(tmap, control, cells, units, 25.0)) == [False, False]
    assert list(ground.far_from_holders(tmap, control, cells, units, 15.0)) == [True, False]


def test_only_the_holders_own_units_hold_ground(tmap):
    k = tmap.place_cell["T4 airbase"]
    control = np.full(tmap.n_cells, ISIS, dtype=np.int8)
    units = [np.zeros(0, np.int64)] * NF
    units[SAA] = np.array([k])  # an SAA unit on the ISIS cell does not make ISIS hold it
    assert list(ground.far_from_holders(tmap, control, np.array([k]), units, 100.0)) == [True]
    no_units = [np.zeros(0, np.int64)] * NF
    assert list(ground.far_from_holders(tmap, control, np.array([k]), no_units, 1e6)) == [True]
    control[k] = SAA
    assert list(ground.far_from_holders(tmap, control, np.array([k]), units, 1.0)) == [False]


def test_far_from_holders_two_rings_out(tmap):
    # Hex geometry: a cell two steps straight out is 2 x 20 = 40 km away, one two steps
    # round a corner 20 x sqrt(3) = 34.64 km. Find one of each around T4 and check the radius edges.
    k = tmap.place_cell["T4 airbase"]
    ring1 = set(int(c) for c in tmap.neighbours[k])
    ring2 = sorted({int(c) for n in ring1 for c in tmap.neighbours[n] if c >= 0} - ring1 - {k})
    d = tmap.distance_km(k, ring2)[0]
    assert len(ring2) == 12 and np.allclose(np.sort(d), [20 * np.sqrt(3)] * 6 + [40.0] * 6)
    control = np.full(tmap.n_cells, ISIS, dtype=np.int8)
    straight = ring2[int(np.argmax(d))]
    units = [np.zeros(0, np.int64)] * NF
    units[ISIS] = np.array([straight])
    assert list(ground.far_from_holders(tmap, control, np.array([k]), units, 39.9)) == [True]
    assert list(ground.far_from_holders(tmap, control, np.array([k]), units, 40.1)) == [False]


# ---- insurgent_rising -------------------------------------------------------------------------
M = 4000  # cell 0 is ISIS, cells 1..M-1 are SDF, all within the insurgency's reach of cell 0 (and it of them)


def _links_to_cell_0(linked: int, n: int = M):
    """A symmetric reach matrix (as a theatre's ``within`` is): cells 0..linked-1 and cell 0 reach each other."""
    rows = np.concatenate([np.arange(linked), np.zeros(linked, int)])
    cols = np.concatenate([np.zeros(linked, int), np.arange(linked)])
    return (csr_matrix((np.ones(2 * linked), (rows, cols)), shape=(n, n)) > 0).astype(float)


def rising(ratios, *, hostility=1.0, occupied=None, in_theatre=None, reach=None, rate=1.0, seed=0,
           holder=SDF):
    control = np.full(M, holder, dtype=np.int8)
    control[0] = ISIS
    if reach is None:  # every cell and cell 0 reach each other
        reach = _links_to_cell_0(M)
    hostile = [np.full(M, hostility) for _ in Faction]
    occupied = np.zeros(M, bool) if occupied is None else occupied
    in_theatre = np.ones(M, bool) if in_theatre is None else in_theatre
    return ground.insurgent_rising(control, ISIS, ratios, hostile, occupied, in_theatre, reach,
                                   np.random.default_rng(seed), OverstretchRules(insurgency_rate=rate))


def test_nothing_rises_where_no_side_is_overstretched():
    assert not rising([0.0, 0.0, 0.0, 0.0]).any()
    assert not rising([0.0, 0.5, 1.0, 0.9], hostility=5.0).any()  # a ratio of exactly 1 is not short


def test_the_insurgents_own_overstretch_raises_nothing():
    assert not rising([5.0, 0.0, 0.0, 0.0]).any()


def test_with_rate_and_hostility_1_a_side_at_overstretch_2_loses_about_half_its_cells():
    # shortfall = 1 - 1/2 = 0.5; chance = rate 1 x shortfall 0.5 x hostility 1 = 0.5 per cell.
    out = rising([0.0, 0.0, 2.0, 0.0])
    assert not out[0]  # ISIS's own cell
    assert 0.45 < out[1:].mean() < 0.55


def test_hostility_and_rate_scale_the_chance():
    # overstretch 4: shortfall 0.75; rate 0.2 x 0.75 x hostility 2 = 0.3
    out = rising([0.0, 0.0, 4.0, 0.0], hostility=2.0, rate=0.2)
    assert 0.25 < out[1:].mean() < 0.35
    assert not rising([0.0, 0.0, 4.0, 0.0], rate=0.0).any()
    assert not rising([0.0, 0.0, 4.0, 0.0], hostility=0.0).any()


def test_only_the_overstretched_sides_cells_rise():
    out = rising([0.0, 0.0, 1.0, 3.0])  # the SDF (holder) is fine; the ISF (holds nothing here) is not
    assert not out.any()


def test_occupied_out_of_reach_and_outside_cells_never_rise():
    occupied = np.zeros(M, bool)
    occupied[1::2] = True
    out = rising([0.0, 0.0, 1e9, 0.0], occupied=occupied, hostility=10.0)
    assert not out[occupied].any() and out[2::2].all()  # chance >= 1 where free
    # reach: only the first half of the cells are within reach of cell 0
    half = M // 2
    reach = _links_to_cell_0(half, M)
    out = rising([0.0, 0.0, 1e9, 0.0], reach=reach, hostility=10.0)
    assert out[1:half].all() and not out[half:].any()
    in_theatre = np.ones(M, bool)
    in_theatre[: half] = False
    out = rising([0.0, 0.0, 1e9, 0.0], in_theatre=in_theatre, hostility=10.0)
    assert not out[:half].any() and out[half:].all()


def test_with_no_insurgent_ground_nothing_rises():
    control = np.full(10, SDF, dtype=np.int8)
    reach = csr_matrix(np.ones((10, 10)))
    out = ground.insurgent_rising(control, ISIS, [0.0, 0.0, 5.0, 0.0], [np.ones(10)] * NF, np.zeros(10, bool),
                                  np.ones(10, bool), reach, np.random.default_rng(0),
                                  OverstretchRules(insurgency_rate=1.0))
    assert not out.any()


# ---- hold_where_standing ----------------------------------------------------------------------
def hold(control, unit_cells, unit_factions, line_in_force=True, seed=0):
    return ground.hold_where_standing(np.asarray(control), unit_cells, unit_factions,
                                      hostility_matrix(line_in_force), FLOWER, np.random.default_rng(seed))


def test_a_unit_on_enemy_ground_with_no_enemy_there_takes_it():
    control = np.full(N, ISIS)
    control[1] = SDF
    after, moves = hold(control, [0], [SDF])
    assert after[0] == SDF and moves == []
    assert (after[2:] == ISIS).all() and after[1] == SDF


def test_a_unit_on_its_own_or_friendly_ground_changes_nothing():
    control = np.array([SAA, SDF, SDF, ISIS, ISIS, ISIS, ISIS])
    after, moves = hold(control, [0, 1], [SDF, SDF])  # SDF on SAA ground, line in force: not hostile
    assert (after == control).all() and moves == []


def test_a_unit_among_enemy_units_on_enemy_ground_falls_back_to_an_own_empty_neighbour():
    control = np.array([ISIS, SDF, ISIS, ISIS, SDF, ISIS, ISIS])
    # SDF unit 0 and ISIS unit 1 on the centre; an ISIS unit (2) on cell 4 bars that way back.
    after, moves = hold(control, [0, 0, 4], [SDF, ISIS, ISIS])
    assert moves == [(0, 1)]
    assert after[0] == ISIS


def test_a_unit_with_nowhere_to_fall_back_surrenders():
    control = np.full(N, ISIS)
    after, moves = hold(control, [0, 0], [SDF, ISIS])
    assert moves == [(0, -1)] and (after == ISIS).all()


def test_a_broken_unit_picks_among_its_fall_back_cells_at_random():
    control = np.array([ISIS, SDF, SDF, ISIS, ISIS, ISIS, ISIS])
    picks = {hold(control, [0, 0], [SDF, ISIS], seed=s)[1][0][1] for s in range(50)}
    assert picks == {1, 2}


def test_units_see_the_moves_of_those_before_them():
    # The centre is ISIS's; an SAA and an SDF unit both stand on it; the line is broken,
    # so each is the other's enemy. SAA holds cell 1, SDF cell 4.
    control = np.array([ISIS, SAA, ISIS, ISIS, SDF, ISIS, ISIS])
    # SAA first: it finds the SDF unit there and falls back to 1; the SDF unit then finds
    # no enemy on the centre (the SAA unit has left) and takes it.
    after, moves = hold(control, [0, 0], [SAA, SDF], line_in_force=False)
    assert moves == [(0, 1)] and after[0] == SDF
    # SDF first: the mirror image.
    after, moves = hold(control, [0, 0], [SDF, SAA], line_in_force=False)
    assert moves == [(0, 4)] and after[0] == SAA
    # While the line holds the two are not enemies: the first takes the centre, the second
    # then stands on a friend's ground.
    after, moves = hold(control, [0, 0], [SAA, SDF], line_in_force=True)
    assert moves == [] and after[0] == SAA


def test_hold_where_standing_does_not_change_its_input():
    control = np.full(N, ISIS)
    control[1] = SDF
    before = control.copy()
    after, _ = hold(control, [0, 3], [SDF, SAA])
    assert (control == before).all()
    assert after[0] == SDF and after[3] == SAA


@pytest.mark.xfail(strict=True, reason=(
    "hold_where_standing keeps a surrendered unit (-1) on its cell when later units look for enemies, "
    "so a unit standing where an enemy has just surrendered still falls back. Kept as the model computed it "
    "before the rules left model.py (that move changed nothing); to be settled with the fidelity work."))
def test_a_unit_that_surrendered_no_longer_bars_the_cell_to_later_units():
    # Line broken. The centre is ISIS's; SAA holds no neighbour, SDF holds cell 4.
    # The SAA unit (first) has nowhere to go and surrenders; the SDF unit (second) then
    # stands on enemy ground with no enemy unit left there, and should take it.
    control = np.array([ISIS, ISIS, ISIS, ISIS, SDF, ISIS, ISIS])
    after, moves = hold(control, [0, 0], [SAA, SDF], line_in_force=False)
    assert moves == [(0, -1)]
    assert after[0] == SDF
