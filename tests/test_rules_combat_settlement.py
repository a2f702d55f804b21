"""Settling a day's fight (rules/combat.py): who loses what, how well units fight, where broken ones go.

Hand-worked cases and limits of the pure helpers the model uses after Lanchester's
law has run: ``shared_losses``, ``strength_weighted``, ``fire_quality``,
``fall_back_options`` and ``defender_breaks``.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.rules import combat
from simulation.scenario import CombatRules


# ---- shared_losses ---------------------------------------------------------------------------
def test_a_side_shares_its_losses_in_proportion_to_strength():
    # A side of 300 + 100 = 400 falls to 300: it lost 100 / 400 = 25 %.
    # Each unit loses 25 % of itself: 0.25 x 300 = 75 and 0.25 x 100 = 25;
    # morale falls by loss_sensitivity x share = 0.5 x 0.25 = 0.125 for every unit.
    losses, hit = combat.shared_losses([300.0, 100.0], 400.0, 300.0, 0.5)
    assert losses == pytest.approx([75.0, 25.0])
    assert hit == pytest.approx(0.125)


def test_losses_sum_to_what_the_side_lost():
    rng = np.random.default_rng(0)
    for _ in range(50):
        strengths = rng.uniform(50, 5000, size=rng.integers(1, 8))
        before = float(strengths.sum())
        after = float(rng.uniform(0, before))
        losses, _ = combat.shared_losses(list(strengths), before, after, 0.5)
        assert sum(losses) == pytest.approx(before - after)
        # the same share of each unit
        assert np.allclose(np.array(losses) / strengths, (before - after) / before)


def test_a_side_wiped_out_loses_everything_and_the_full_morale_hit():
    losses, hit = combat.shared_losses([300.0, 100.0], 400.0, 0.0, 0.5)
    assert losses == pytest.approx([300.0, 100.0])
    assert hit == pytest.approx(0.5)  # share 1 x sensitivity 0.5


def test_no_loss_means_no_losses_and_no_morale_hit():
    losses, hit = combat.shared_losses([300.0, 100.0], 400.0, 400.0, 0.5)
    assert losses == [0.0, 0.0] and hit == 0.0


def test_a_side_with_no_fighters_before_loses_nothing():
    losses, hit = combat.shared_losses([0.0, 0.0], 0.0, 0.0, 0.5)
    assert losses == [0.0, 0.0] and hit == 0.0
    losses, hit = combat.shared_losses([], 0.0, 0.0, 0.5)
    assert losses == [] and hit == 0.0


def test_morale_hit_scales_with_sensitivity():
    _, none = combat.shared_losses([1000.0], 1000.0, 500.0, 0.0)
    _, one = combat.shared_losses([1000.0], 1000.0, 500.0, 1.0)
    assert none == 0.0 and one == pytest.approx(0.5)


# ---- strength_weighted ------------------------------------------------------------------------
def test_strength_weighted_mean_hand_worked():
    # (0.8 x 300 + 0.2 x 100) / 400 = (240 + 20) / 400 = 0.65
    assert combat.strength_weighted([0.8, 0.2], [300.0, 100.0]) == pytest.approx(0.65)


def test_strength_weighted_mean_of_equal_values_is_that_value_and_lies_between_extremes():
    assert combat.strength_weighted([0.4, 0.4, 0.4], [10.0, 500.0, 3.0]) == pytest.approx(0.4)
    rng = np.random.default_rng(1)
    for _ in range(20):
        v, s = rng.uniform(0, 1, 5), rng.uniform(1, 1000, 5)
        assert v.min() - 1e-12 <= combat.strength_weighted(list(v), list(s)) <= v.max() + 1e-12


def test_strength_weighted_mean_of_a_side_with_no_fighters_is_zero():
    assert combat.strength_weighted([], []) == 0.0
    assert combat.strength_weighted([0.9, 0.7], [0.0, 0.0]) == 0.0


def test_a_unit_with_no_fighters_does_not_weigh_in_the_mean():
    assert combat.strength_weighted([0.9, 0.1], [500.0, 0.0]) == pytest.approx(0.9)


# ---- fire_quality -----------------------------------------------------------------------------
def test_full_supply_fights_at_its_morale():
    rules = CombatRules()
    assert combat.fire_quality(0.8, 1.0, rules) == pytest.approx(0.8)


def test_no_supply_fights_at_the_unsupplied_share_of_its_morale():
    rules = CombatRules()
    assert combat.fire_quality(0.8, 0.0, rules) == pytest.approx(0.8 * rules.unsupplied_fire_share)
    # with a different share: 0.8 x 0.2 = 0.16
    assert combat.fire_quality(0.8, 0.0, CombatRules(unsupplied_fire_share=0.2)) == pytest.approx(0.16)


def test_fire_quality_is_linear_in_supply_between_the_limits():
    rules = CombatRules(unsupplied_fire_share=0.5)
    # half supply: 0.8 x (0.5 + 0.5 x 0.5) = 0.8 x 0.75 = 0.6
    assert combat.fire_quality(0.8, 0.5, rules) == pytest.approx(0.6)
    q = combat.fire_quality(0.8, np.linspace(0, 1, 11), rules)
    assert np.all(np.diff(q) > 0)
    assert np.allclose(np.diff(q), np.diff(q)[0])


def test_fire_quality_share_one_ignores_supply_and_zero_morale_never_fights():
    assert combat.fire_quality(0.7, 0.0, CombatRules(unsupplied_fire_share=1.0)) == pytest.approx(0.7)
    assert combat.fire_quality(0.0, 1.0, CombatRules()) == 0.0


# ---- fall_back_options ------------------------------------------------------------------------
# A hand-made flower of seven hexes: centre 0, ring 1..6 (each ring cell touches the
# centre and its two ring neighbours); -1 where there is no neighbour.
FLOWER = np.array([
    [1, 2, 3, 4, 5, 6],
    [0, 6, 2, -1, -1, -1],
    [0, 1, 3, -1, -1, -1],
    [0, 2, 4, -1, -1, -1],
    [0, 3, 5, -1, -1, -1],
    [0, 4, 6, -1, -1, -1],
    [0, 5, 1, -1, -1, -1],
])
A, B = 1, 2  # two faction codes


def test_falls_back_only_to_own_neighbours_with_no_enemy_units():
    control = np.array([B, A, A, B, A, B, B])
    # own neighbours of 0: 1, 2, 4; an enemy unit stands on 4.
    assert combat.fall_back_options(0, A, control, FLOWER, {4}) == [1, 2]
    assert combat.fall_back_options(0, A, control, FLOWER, set()) == [1, 2, 4]


def test_no_own_neighbour_leaves_nowhere_to_fall_back():
    control = np.array([A, B, B, B, B, B, B])
    assert combat.fall_back_options(0, A, control, FLOWER, set()) == []
    control = np.array([B, A, A, B, B, B, B])
    assert combat.fall_back_options(0, A, control, FLOWER, {1, 2}) == []


def test_missing_neighbours_are_never_options():
    # Cell 1 has only three neighbours (0, 6, 2); the -1 slots are not cell -1 (the last cell).
    control = np.array([A, A, B, B, B, B, A])
    assert combat.fall_back_options(1, A, control, FLOWER, set()) == [0, 6]
    assert all(k >= 0 for k in combat.fall_back_options(1, A, np.full(7, A), FLOWER, set()))


# ---- defender_breaks (boundaries; the basic cases are in tests/test_combat.py) ----------------
def test_break_ratio_boundary_is_strict():
    rules = CombatRules(break_ratio=2.0)
    # 1000 defenders at factor 1 hold off exactly 2000 attackers; 2001 break them.
    assert not combat.defender_breaks(2000.0, 1000.0, 1.0, 0.8, rules, 0.15)
    assert combat.defender_breaks(2001.0, 1000.0, 1.0, 0.8, rules, 0.15)
    # a town's factor 3 triples what they can hold off: 6000 hold, 6001 break.
    assert not combat.defender_breaks(6000.0, 1000.0, 3.0, 0.8, rules, 0.15)
    assert combat.defender_breaks(6001.0, 1000.0, 3.0, 0.8, rules, 0.15)


def test_morale_exactly_at_the_break_level_holds():
    rules = CombatRules()
    assert not combat.defender_breaks(100.0, 1000.0, 1.0, 0.15, rules, 0.15)
    assert combat.defender_breaks(100.0, 1000.0, 1.0, 0.1499, rules, 0.15)


def test_a_defence_with_no_fighters_left_breaks_against_any_attacker():
    rules = CombatRules()
    assert combat.defender_breaks(1.0, 0.0, 5.0, 1.0, rules, 0.15)
    assert not combat.defender_breaks(0.0, 0.0, 5.0, 1.0, rules, 0.15)  # no one left to break it


def test_defender_breaks_is_vectorised_over_engagements():
    rules = CombatRules(break_ratio=2.0)
    broke = combat.defender_breaks(np.array([3000.0, 3000.0, 100.0]), np.array([1000.0, 2000.0, 1000.0]),
                                   np.array([1.0, 1.0, 1.0]), np.array([0.8, 0.8, 0.1]), rules, 0.15)
    assert list(broke) == [True, False, True]
