"""Morale (rules/morale.py): the day's drift, and the shock of losing a place.

The hand-worked figures use the defaults with recovery_per_day set to 0.02 (its default
is fitted, Section 8 of the ODD): rest_min_supply 0.5, unsupplied_below_supply 0.3, unsupplied_loss_per_day 0.003,
overstretch_loss_per_day 0.01, recovery_ceiling 0.9, place_loss_shock 0.02,
place_loss_full_people 100,000.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.rules.morale import place_loss_shock, rally
from simulation.scenario import MoraleRules

RULES = MoraleRules(recovery_per_day=0.02)


def one(morale, supply=1.0, engaged=False, overstretch=0.0, rules=RULES) -> float:
    """One unit's morale after a day's drift."""
    return float(rally([morale], [supply], [engaged], overstretch, rules)[0])


def test_the_rules_are_the_ones_the_figures_below_assume():
    assert (RULES.recovery_per_day, RULES.rest_min_supply, RULES.unsupplied_below_supply,
            RULES.unsupplied_loss_per_day, RULES.overstretch_loss_per_day, RULES.recovery_ceiling) == \
        (0.02, 0.5, 0.3, 0.003, 0.01, 0.9)


# ---- rest -------------------------------------------------------------------------------------
def test_a_supplied_unit_at_rest_recovers():
    assert one(0.5) == pytest.approx(0.52)  # 0.5 + 0.02


def test_rest_lifts_morale_no_higher_than_the_ceiling():
    assert one(0.89) == pytest.approx(0.9)  # 0.91 clipped at 0.9
    assert one(0.9) == pytest.approx(0.9)
    m = 0.3
    for _ in range(200):
        m = one(m)
    assert m == pytest.approx(RULES.recovery_ceiling)
    assert one(0.79, rules=MoraleRules(recovery_ceiling=0.8)) == pytest.approx(0.8)


def test_an_engaged_unit_does_not_recover():
    assert one(0.5, engaged=True) == pytest.approx(0.5)


def test_rest_needs_supply_above_rest_min_supply():
    assert one(0.5, supply=0.5) == pytest.approx(0.5)  # not above 0.5: no recovery (and no hunger)
    assert one(0.5, supply=0.51) == pytest.approx(0.52)
    assert one(0.5, supply=0.4) == pytest.approx(0.5)  # between 0.3 and 0.5: neither


# ---- hunger -----------------------------------------------------------------------------------
def test_a_unit_short_of_supply_loses_a_little_each_day():
    assert one(0.5, supply=0.2) == pytest.approx(0.497)  # 0.5 - 0.003, no rest
    assert one(0.5, supply=0.0, engaged=True) == pytest.approx(0.497)
    assert one(0.5, supply=0.3) == pytest.approx(0.5)  # at the threshold: no loss


# ---- overstretch ------------------------------------------------------------------------------
@pytest.mark.parametrize("ratio, loss", [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (1.5, 0.005), (2.0, 0.01),
                                         (3.0, 0.01), (float("inf"), 0.01)])
def test_overstretch_costs_morale_from_1_in_full_at_2(ratio, loss):
    # Engaged and supplied: no rest and no hunger, so only overstretch acts.
    # loss = 0.01 x min(max(0, ratio - 1), 1): at 1.5 half of 0.01.
    assert one(0.5, engaged=True, overstretch=ratio) == pytest.approx(0.5 - loss)


def test_overstretch_and_hunger_add_up():
    # supply 0.1: no rest, -0.003; overstretch 1.5: -0.005 -> 0.5 - 0.008
    assert one(0.5, supply=0.1, overstretch=1.5) == pytest.approx(0.492)


def test_rest_offsets_overstretch():
    # at rest and supplied, overstretch 2: +0.02 - 0.01 = +0.01
    assert one(0.5, overstretch=2.0) == pytest.approx(0.51)


# ---- limits -----------------------------------------------------------------------------------
def test_morale_never_falls_below_zero():
    assert one(0.001, supply=0.0, overstretch=5.0) == 0.0
    assert one(0.0, supply=0.0, engaged=True, overstretch=5.0) == 0.0


def test_a_unit_above_the_ceiling_keeps_its_morale_when_nothing_lifts_it():
    # Change 0 (engaged, supplied, not overstretched): clipped at 1, not at the ceiling.
    assert one(0.97, engaged=True) == pytest.approx(0.97)
    # Change negative: it falls from where it stands, not from the ceiling.
    assert one(0.97, engaged=True, overstretch=2.0) == pytest.approx(0.96)
    assert one(1.0, supply=0.0, engaged=True) == pytest.approx(0.997)


@pytest.mark.xfail(strict=True, reason=(
    "rally clips a day with a positive change at recovery_ceiling, so a unit above the ceiling "
    "(e.g. a scenario unit at morale 0.95) that rests drops to 0.9, while the same unit engaged "
    "keeps 0.95: rest lowers morale. Kept as the model computed it before the rules left model.py "
    "(that move changed nothing); no shipped scenario starts a unit above 0.9."))
def test_rest_never_lowers_morale():
    rested = one(0.95)
    fought = one(0.95, engaged=True)
    assert rested >= fought
    assert rested >= 0.95


def test_rally_is_elementwise_over_units():
    out = rally([0.5, 0.5, 0.5, 0.001], [1.0, 1.0, 0.1, 0.0], [False, True, False, True], 1.0, RULES)
    assert out == pytest.approx([0.52, 0.5, 0.497, 0.0])
    assert isinstance(out, np.ndarray) and out.shape == (4,)


# ---- losing a place ---------------------------------------------------------------------------
def test_losing_a_city_is_the_full_shock_and_smaller_places_in_proportion():
    assert place_loss_shock(100_000, RULES) == pytest.approx(0.02)
    assert place_loss_shock(1_000_000, RULES) == pytest.approx(0.02)  # capped
    assert place_loss_shock(25_000, RULES) == pytest.approx(0.005)  # a quarter
    assert place_loss_shock(0, RULES) == 0.0


def test_place_loss_shock_follows_its_parameters():
    rules = MoraleRules(place_loss_shock=0.1, place_loss_full_people=50_000)
    assert place_loss_shock(25_000, rules) == pytest.approx(0.05)
    assert place_loss_shock(50_000, rules) == pytest.approx(0.1)
