"""Air support: each air arm's daily strikes, allocated to its side's fights.

An air arm flies ``sorties_per_day * strikes_per_sortie`` strikes a day against
enemy units within reach of the ground factions it supports, weighted by its
priorities, and only where deconfliction lets it (:mod:`simulation.roles`).
Repeated strikes on one target yield less (each is worth ``repeat_decay`` of the one before), strikes in towns
less still; every strike in a populated cell adds to a civilian-harm indicator.
Budgets rest on the coalition's monthly releases and Russia's sortie count for 2017.
"""

from __future__ import annotations

import numpy as np

from simulation.scenario import AirSupportRules


def allocate_strikes(budget: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Strikes per target: the day's budget shared in proportion to the weights."""
    weights = np.asarray(weights, dtype=float)
    if budget <= 0 or weights.size == 0 or weights.sum() <= 0:
        return np.zeros(weights.size, dtype=np.int64)
    return rng.multinomial(int(budget), weights / weights.sum())


def fighters_killed(strikes: np.ndarray, urban: np.ndarray, params: AirSupportRules) -> np.ndarray:
    """Fighters killed on each target by its strikes (diminishing with repeats)."""
    return params.fighters_per_strike * effective_strikes(strikes, params) * np.where(urban, params.urban_effect, 1.0)


def effective_strikes(strikes: np.ndarray, params: AirSupportRules) -> np.ndarray:
    """Strikes discounted for repeats on one target (each worth ``repeat_decay`` of the last)."""
    strikes = np.asarray(strikes, dtype=float)
    r = params.repeat_decay
    return strikes if r >= 1.0 else (1.0 - r**strikes) / (1.0 - r)


def morale_hit(strikes: np.ndarray, urban: np.ndarray, params: AirSupportRules) -> np.ndarray:
    """Morale each target loses to its day's strikes: diminishing, and less for fighters dug into a town."""
    return params.morale_per_strike * effective_strikes(strikes, params) * np.where(urban, params.urban_effect, 1.0)


def civilian_harm(strikes: np.ndarray, population: np.ndarray, params: AirSupportRules) -> float:
    """Civilian-harm indicator added by the day's strikes (grows with people under them)."""
    return float(np.sum(strikes * population / 1000.0) * params.harm_per_strike_per_1000_people)
