"""Supply levels, starvation and the logistics tether (rules/supply.py), on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.rules import supply
from simulation.scenario import MovementRules, SupplyRules

DECAY, AIR_DECAY, RECOVERY = 0.08, 0.01, 0.25


# ---- starvation -------------------------------------------------------------------------------
def test_only_units_with_no_supply_left_starve_and_lose_a_share_of_their_strength():
    # 1000 and 500 at supply 0 lose 0.005 of themselves: 5 and 2.5; the one at 0.1 nothing.
    lost = supply.starvation_losses(np.array([1000.0, 2000.0, 500.0]), np.array([0.0, 0.1, 0.0]), 0.005)
    assert lost == pytest.approx([5.0, 0.0, 2.5])


def test_starvation_with_a_tiny_supply_left_is_nothing_and_rate_zero_is_nothing():
    assert supply.starvation_losses([1000.0], [1e-9], 0.5)[0] == 0.0
    assert supply.starvation_losses([1000.0], [0.0], 0.0)[0] == 0.0


def test_starvation_never_takes_more_than_the_unit_has():
    s = np.array([10.0, 3000.0])
    assert (supply.starvation_losses(s, [0.0, 0.0], 1.0) <= s).all()
    assert supply.starvation_losses(s, [0.0, 0.0], SupplyRules().unsupplied_attrition_per_day) == \
        pytest.approx(s * 0.005)


# ---- supply level -----------------------------------------------------------------------------
def test_connected_units_recover_and_cut_off_ones_decay_slowly_if_supplied_by_air():
    level = supply.update_supply(
        supply=np.array([0.5, 0.5, 0.5, 0.5]),
        connected=np.array([True, False, False, True]),
        air_supplied=np.array([False, False, True, True]),
        decay=DECAY, air_decay=AIR_DECAY, recovery=RECOVERY)
    # connected: 0.5 + 0.25; cut off: 0.5 - 0.08; cut off by air: 0.5 - 0.01;
    # connected and air-supplied: the road wins, 0.5 + 0.25.
    assert level == pytest.approx([0.75, 0.42, 0.49, 0.75])


def test_supply_is_clipped_to_0_and_1():
    level = supply.update_supply(np.array([0.9, 0.05, 0.0, 1.0]), np.array([True, False, False, True]),
                                 np.zeros(4, bool), DECAY, AIR_DECAY, RECOVERY)
    assert level == pytest.approx([1.0, 0.0, 0.0, 1.0])


def test_a_cut_off_unit_runs_dry_in_about_one_over_decay_days_and_an_air_supplied_one_lasts_longer():
    def days_to_empty(air):
        s, days = np.array([1.0]), 0
        while s[0] > 0 and days < 1000:
            s = supply.update_supply(s, np.array([False]), np.array([air]), DECAY, AIR_DECAY, RECOVERY)
            days += 1
        return days
    assert days_to_empty(False) == 13  # 1 / 0.08 = 12.5 -> empty on the 13th day
    assert days_to_empty(True) in (100, 101)  # 1 / 0.01 = 100 (float rounding decides the last day)


def test_update_supply_with_zero_rates_changes_nothing():
    s = np.array([0.3, 0.7])
    assert supply.update_supply(s, np.array([True, False]), np.array([False, False]), 0.0, 0.0, 0.0) == \
        pytest.approx(s)


# ---- logistics tether -------------------------------------------------------------------------
def test_logistics_tempo_hand_worked():
    # 1 / (1 + d / reach): full speed at the source, half at one reach, a third at two.
    tempo = supply.logistics_tempo(np.array([0.0, 100.0, 200.0]), 100.0, 3.0)
    assert tempo == pytest.approx([1.0, 0.5, 1.0 / 3.0])


@pytest.mark.parametrize("cut_off_reaches", [1.0, 3.0, 7.5])
def test_ground_cut_off_counts_as_cut_off_reaches_away(cut_off_reaches):
    tempo = supply.logistics_tempo(np.array([np.inf]), 100.0, cut_off_reaches)
    assert tempo[0] == pytest.approx(1.0 / (1.0 + cut_off_reaches))
    # and nothing still linked to a source is slower than ground cut off
    far = supply.logistics_tempo(np.array([1e9]), 100.0, cut_off_reaches)
    assert far[0] == pytest.approx(tempo[0])


def test_logistics_tempo_falls_with_distance_and_stays_positive():
    d = np.linspace(0, 1000, 101)
    tempo = supply.logistics_tempo(d, 100.0, 3.0)
    assert np.all(np.diff(tempo) <= 0) and tempo[0] == 1.0 and (tempo > 0).all()


def test_the_default_cut_off_is_a_quarter_speed():
    rules = MovementRules()
    assert supply.logistics_tempo(np.array([np.inf]), rules.logistics_reach_km, rules.cut_off_reaches)[0] == \
        pytest.approx(0.25)


# ---- supply_connected on hand-made labels -----------------------------------------------------
def test_connected_ground_is_the_held_pieces_that_contain_a_held_source():
    # Six cells of one side's ground in pieces 0, 0, 1, 1, 2 and a cell it does not hold (-1).
    labels = np.array([0, 0, 1, 1, 2, -1])
    held = np.array([True, True, True, True, True, False])
    # Sources at cell 1 (piece 0) and cell 5, which the side does not hold: only piece 0 is supplied.
    connected = supply.supply_connected(labels, held, np.array([1, 5]))
    assert list(connected) == [True, True, False, False, False, False]
    assert not supply.supply_connected(labels, held, np.array([5])).any()
    assert supply.supply_connected(labels, held, np.array([0, 2, 4])).sum() == 5
