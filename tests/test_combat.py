"""Combat: Lanchester's square law, terrain modifiers, stochastic outcome."""

import numpy as np
import pytest

from simulation.rules import combat
from simulation.scenario import CombatRules

TOLERANCE = 0.02  # the survivor's strength within 2% of the square law's prediction


def duel(a0, d0, rules, rng, defence=1.0, max_days=2000):
    """Two units on open ground fight day after day until one side is gone."""
    a, d = np.array([a0], float), np.array([d0], float)
    for _ in range(max_days):
        a, d = combat.fight(a, d, 1.0, 1.0, defence, rng, rules)
        if a[0] < 1 or d[0] < 1:
            break
    return a[0], d[0]


def test_duel_on_open_ground_follows_the_square_law():
    rules = CombatRules(noise_sd=0.0)
    a, d = duel(1000, 600, rules, np.random.default_rng(0))
    assert d < 1
    assert a == pytest.approx(np.sqrt(1000**2 - 600**2), rel=TOLERANCE)


def test_square_law_holds_on_average_with_noise():
    rules = CombatRules(noise_sd=0.25)
    finals = [duel(1000, 600, rules, np.random.default_rng(s))[0] for s in range(40)]
    assert np.median(finals) == pytest.approx(800, rel=0.05)


def test_doubling_force_quadruples_fighting_power():
    # Square law: 2N against N leaves sqrt(3)N, not N (the linear law's answer).
    rules = CombatRules(noise_sd=0.0)
    a, _ = duel(2000, 1000, rules, np.random.default_rng(0))
    assert a == pytest.approx(np.sqrt(3) * 1000, rel=TOLERANCE)


def test_towns_and_rivers_favour_the_defender():
    rules = CombatRules()
    open_ground = combat.defence_factor(False, False, False, rules)
    town = combat.defence_factor(True, False, False, rules)
    town_across_river = combat.defence_factor(True, True, True, rules)
    assert open_ground == 1.0 < town < town_across_river
    rng = np.random.default_rng(1)
    _, d_open = combat.fight(np.full(200, 3000.0), np.full(200, 1000.0), 1.0, 1.0, open_ground, rng, rules)
    _, d_town = combat.fight(np.full(200, 3000.0), np.full(200, 1000.0), 1.0, 1.0, town, rng, rules)
    assert np.mean(d_open) == pytest.approx(np.mean(d_town), rel=0.05)  # same fire received...
    a_open, _ = combat.fight(np.full(200, 3000.0), np.full(200, 1000.0), 1.0, 1.0, open_ground, rng, rules)
    a_town, _ = combat.fight(np.full(200, 3000.0), np.full(200, 1000.0), 1.0, 1.0, town, rng, rules)
    assert np.mean(a_town) < np.mean(a_open)  # ...but the attacker bleeds more in town


def test_outcome_is_stochastic_but_seeded():
    rules = CombatRules()
    one = combat.fight(np.array([3000.0]), np.array([1000.0]), 1.0, 1.0, 1.0, np.random.default_rng(7), rules)
    two = combat.fight(np.array([3000.0]), np.array([1000.0]), 1.0, 1.0, 1.0, np.random.default_rng(7), rules)
    other = combat.fight(np.array([3000.0]), np.array([1000.0]), 1.0, 1.0, 1.0, np.random.default_rng(8), rules)
    assert one[0] == two[0] and one[0] != other[0]


def test_defence_breaks_when_outnumbered_or_demoralised():
    rules = CombatRules()
    assert combat.defender_breaks(3000, 500, 1.0, 0.8, rules, 0.15)
    assert not combat.defender_breaks(3000, 500, 4.0, 0.8, rules, 0.15)  # a town holds
    assert combat.defender_breaks(3000, 2000, 1.0, 0.1, rules, 0.15)  # morale gone


def test_town_streets_cap_the_attackers_engaged_and_bigger_cities_defend_better():
    rules = CombatRules()
    # 16,000 against 3,000 in a city of 220,000: only the frontage engages.
    engaged = combat.engaged_attackers([16000.0, 16000.0], [3000.0, 3000.0], np.array([True, False]),
                                       [220000.0, 220000.0], rules)
    assert engaged[0] == max(rules.urban_frontage * 3000, rules.urban_frontage_per_1000_people * 220)
    assert engaged[1] == 16000.0  # open ground: everyone fights
    small, big = combat.defence_factor(np.array([True, True]), False, False, rules, np.array([40000.0, 200000.0]))
    assert small == rules.urban_defence and big == rules.urban_defence * 2.0
