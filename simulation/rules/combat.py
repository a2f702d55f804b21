"""Combat on the fronts: Lanchester square-law attrition with a stochastic outcome.

Aimed fire between two forces follows Lanchester's square law (Lanchester 1916):
``dA/dt = -beta * D`` and ``dD/dt = -alpha * A``, with ``alpha, beta`` the kill
rates of one fighter per day. A defender in a town fights as several fighters
(urban defence), one behind a river more so; morale and supply scale each side's
fire; each engagement-day draws a log-normal noise factor per side from the
model's generator, so the same odds can end differently.
"""

from __future__ import annotations

import numpy as np

from simulation.scenario import CombatRules


def lanchester_square(attackers, defenders, alpha, beta, days: float = 1.0, substeps: int = 4):
    """Strengths after ``days`` of square-law attrition (vectorised over engagements).

    Args:
        attackers, defenders: fighters on each side (arrays or scalars).
        alpha: fighters of the defender killed per attacking fighter per day.
        beta: fighters of the attacker killed per defending fighter per day.
        days: length of the fight; integrated in ``substeps`` equal steps.
    """
    a = np.asarray(attackers, dtype=float).copy()
    d = np.asarray(defenders, dtype=float).copy()
    h = days / substeps
    for _ in range(substeps):
        a, d = np.maximum(a - h * beta * d, 0.0), np.maximum(d - h * alpha * a, 0.0)
    return a, d


def defence_factor(urban, across_river, holding, params: CombatRules) -> np.ndarray:
    """How many attackers one defender is worth, from terrain, river and posture."""
    factor = np.where(urban, params.urban_defence, 1.0)
    factor = factor * np.where(across_river, params.river_defence, 1.0)
    return factor * np.where(holding, params.hold_defence, 1.0)


def fight(attackers, defenders, attacker_quality, defender_quality, defence,
          rng: np.random.Generator, params: CombatRules):
    """One day of fighting in each engagement; returns strengths after it.

    Args:
        attackers, defenders: fighters engaged on each side, per engagement.
        attacker_quality, defender_quality: 0-1 multipliers from morale and supply.
        defence: defender's terrain and posture factor (:func:`defence_factor`).
        rng: the model's generator (noise for the stochastic outcome).
    """
    n = np.size(attackers)
    noise_a = rng.lognormal(0.0, params.noise_sd, n)
    noise_d = rng.lognormal(0.0, params.noise_sd, n)
    alpha = params.kill_rate_per_day * attacker_quality * noise_a
    beta = params.kill_rate_per_day * defender_quality * defence * noise_d
    return lanchester_square(attackers, defenders, alpha, beta, 1.0, params.substeps)


def defender_breaks(attackers_after, defenders_after, defence, defender_morale, params: CombatRules,
                    break_morale: float) -> np.ndarray:
    """Whether each defence gives way: outnumbered past the break ratio, or morale gone.

    The ratio counts the defender's terrain and posture (a town holds out longer).
    """
    outnumbered = defenders_after * defence * params.break_ratio < attackers_after
    return outnumbered | (defender_morale < break_morale)
