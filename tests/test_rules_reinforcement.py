"""Reinforcement (rules/reinforcement.py): a side's pool tops units up, a shortfall drains them.

The pool is the manoeuvre force less the fighters already in units. Hand-worked
cases for the drain and the top-up, and the conservation law: what the units gain
is the pool, or all they want if the pool is bigger.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.rules.reinforcement import reinforcements
from simulation.scenario import ReinforcementRules

RULES = ReinforcementRules(top_up_per_day=0.03, drain_per_day=0.02)


# ---- drain ------------------------------------------------------------------------------------
def test_units_holding_more_than_the_manoeuvre_force_are_drained_in_proportion_to_strength():
    # Units hold 3000 + 1000 = 4000; the manoeuvre force is 3000: a shortfall of 1000.
    # Today's drain is 0.02 x 1000 = 20 fighters, shared 3:1 -> 15 and 5.
    gains = reinforcements([3000.0, 1000.0], [3000.0, 1000.0], [True, True], 3000.0, RULES)
    assert gains == pytest.approx([-15.0, -5.0])


def test_the_drain_falls_on_unsupplied_and_understrength_units_too():
    # Supply and establishment play no part in the drain: 0.02 x (2000 - 1000) = 20, shared 1:1.
    gains = reinforcements([1000.0, 1000.0], [4000.0, 1000.0], [False, True], 1000.0, RULES)
    assert gains == pytest.approx([-10.0, -10.0])


def test_the_whole_drain_is_drain_per_day_times_the_shortfall():
    rng = np.random.default_rng(3)
    for _ in range(30):
        s = rng.uniform(100, 5000, 5)
        manoeuvre = float(rng.uniform(0, s.sum() * 0.99))
        gains = np.array(reinforcements(list(s), list(s), [True] * 5, manoeuvre, RULES))
        assert (gains < 0).all()
        assert gains.sum() == pytest.approx(-RULES.drain_per_day * (s.sum() - manoeuvre))
        assert np.allclose(gains / s, gains[0] / s[0])  # the same share of each unit


def test_no_drain_rate_means_no_drain():
    gains = reinforcements([3000.0, 1000.0], [3000.0, 1000.0], [True, True], 0.0,
                           ReinforcementRules(drain_per_day=0.0))
    assert gains == pytest.approx([0.0, 0.0])


# ---- top-up -----------------------------------------------------------------------------------
def test_top_up_is_capped_by_the_daily_share_of_establishment():
    # Establishments 1000; strengths 900 and 990. Wants: min(100, 0.03 x 1000 = 30) = 30 and
    # min(10, 30) = 10. Units hold 1890; a manoeuvre force of 2890 leaves a pool of 1000: plenty.
    gains = reinforcements([900.0, 990.0], [1000.0, 1000.0], [True, True], 2890.0, RULES)
    assert gains == pytest.approx([30.0, 10.0])


def test_a_small_pool_is_shared_in_proportion_to_what_units_want():
    # Same units (wants 30 and 10, 40 in all) but a pool of 20: each gets 20 / 40 = half its want.
    gains = reinforcements([900.0, 990.0], [1000.0, 1000.0], [True, True], 1910.0, RULES)
    assert gains == pytest.approx([15.0, 5.0])


def test_an_empty_pool_gives_nothing():
    gains = reinforcements([900.0, 990.0], [1000.0, 1000.0], [True, True], 1890.0, RULES)
    assert gains == pytest.approx([0.0, 0.0])


def test_unsupplied_units_get_nothing_and_leave_more_for_the_rest():
    # The unsupplied unit wants nothing; the supplied one's want (30) is met in full from a pool of 30.
    gains = reinforcements([900.0, 900.0], [1000.0, 1000.0], [False, True], 1830.0, RULES)
    assert gains == pytest.approx([0.0, 30.0])


def test_full_and_overfull_units_get_nothing():
    gains = reinforcements([1000.0, 1200.0, 950.0], [1000.0, 1000.0, 1000.0], [True, True, True],
                           100_000.0, RULES)
    assert gains == pytest.approx([0.0, 0.0, 30.0])


def test_no_unit_is_topped_up_past_its_establishment():
    gains = reinforcements([995.0], [1000.0], [True], 100_000.0, RULES)
    assert gains == pytest.approx([5.0])


def test_nothing_wanted_gives_nothing_whatever_the_pool():
    assert reinforcements([1000.0], [1000.0], [True], 1e6, RULES) == [0.0]
    assert reinforcements([500.0], [1000.0], [False], 1e6, RULES) == [0.0]
    assert reinforcements([], [], [], 1e6, RULES) == []


def test_gains_sum_to_the_pool_or_to_all_that_is_wanted():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 8))
        est = rng.uniform(500, 5000, n)
        s = est * rng.uniform(0.2, 1.2, n)
        ok = rng.random(n) < 0.7
        wants = np.where(ok & (s < est), np.minimum(est - s, RULES.top_up_per_day * est), 0.0)
        pool = float(rng.uniform(0, 2 * wants.sum() + 1))
        gains = np.array(reinforcements(list(s), list(est), list(ok), s.sum() + pool, RULES))
        assert gains.sum() == pytest.approx(min(pool, wants.sum()), abs=1e-9)
        assert (gains >= 0).all() and (gains <= wants + 1e-9).all()
        assert (gains[~ok] == 0).all()
        assert (s + gains <= np.maximum(est, s) + 1e-9).all()
