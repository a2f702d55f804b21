"""Combat on the fronts: Lanchester square-law attrition with a stochastic outcome.

Aimed fire between two forces follows Lanchester's square law (Lanchester 1916):
``dA/dt = -beta * D`` and ``dD/dt = -alpha * A``, with ``alpha, beta`` the kill
rates of one fighter per day. A defender in a town fights as several fighters
(urban defence), one behind a river more so; morale and supply scale each side's
fire; each engagement-day draws a log-normal noise factor per side from the
model's generator, so the same odds can end differently. Each side shares its
day's losses among its units in proportion to their strength, and the defence
gives way when outnumbered past the break ratio or when its morale is gone.
"""

from __future__ import annotations

import numpy as np

from simulation.scenario.rule_params import CombatRules


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


def defence_factor(urban, across_river, holding, params: CombatRules, population=0.0) -> np.ndarray:
    """How many attackers one defender is worth, from terrain, river and posture.

    A town gives ``urban_defence``; a bigger city more, with the square root of its
    people over ``urban_defence_reference_people`` (more streets to clear per defender).
    """
    size = np.sqrt(np.maximum(1.0, np.asarray(population, dtype=float) / params.urban_defence_reference_people))
    factor = np.where(urban, params.urban_defence * size, 1.0)
    factor = factor * np.where(across_river, params.river_defence, 1.0)
    return factor * np.where(holding, params.hold_defence, 1.0)


def engaged_attackers(attackers, defenders, urban, population, params: CombatRules) -> np.ndarray:
    """Attackers who can bring fire to bear in a town: its streets cap the frontage.

    A town takes at most ``urban_frontage_per_1000_people`` attackers per thousand
    inhabitants at once, or ``urban_frontage`` per defender where that is more;
    numbers beyond wait their turn. This is why cities held by a few thousand took
    months (Mosul, Raqqa) while towns fell in days once outnumbered.
    """
    attackers = np.asarray(attackers, dtype=float)
    cap = np.maximum(params.urban_frontage * np.asarray(defenders, dtype=float),
                     params.urban_frontage_per_1000_people * np.asarray(population, dtype=float) / 1000.0)
    return np.where(urban, np.minimum(attackers, cap), attackers)


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
                    break_morale: float, contested=False) -> np.ndarray:
    """Whether each defence gives way: outnumbered past the break ratio, or morale gone.

    The ratio counts the defender's terrain and posture (a town holds out longer). In a
    ``contested`` city (its edges held by the attacker, :func:`~simulation.rules.urban.edges_held`)
    only morale counts: its streets are taken block by block, not at once.
    """
    outnumbered = (defenders_after * defence * params.break_ratio < attackers_after) & ~np.asarray(contested, bool)
    return outnumbered | (defender_morale < break_morale)


def shared_losses(strengths, before: float, after: float, loss_sensitivity: float) -> tuple[list[float], float]:
    """Fighters each unit of one side loses, and the morale each loses, in a day's fight.

    The side fell from ``before`` to ``after`` fighters; each unit loses the same share
    of its own strength, and morale in proportion to that share.

    Args:
        strengths: fighters in each of the side's units.
        before, after: the side's fighters before and after the fight.
        loss_sensitivity: morale lost per share of strength lost.
    """
    share = 0.0 if before <= 0 else (before - after) / before
    return [s * share for s in strengths], loss_sensitivity * share


def strength_weighted(values, strengths) -> float:
    """Strength-weighted mean of a unit attribute (morale, quality) over a side; 0 if it has no fighters."""
    total = sum(strengths)
    if total <= 0:
        return 0.0
    return sum(v * s for v, s in zip(values, strengths)) / total


def fire_quality(morale, supply, params: CombatRules):
    """How well a unit fights, 0-1: its morale, times a share of full fire that falls with its supply.

    A unit with no supply left still fights at ``unsupplied_fire_share`` of its full fire.
    """
    return morale * (params.unsupplied_fire_share + (1.0 - params.unsupplied_fire_share) * supply)


def fall_back_options(from_cell: int, faction: int, control, neighbours, enemy_cells) -> list[int]:
    """Cells a broken unit may fall back to: neighbours its side holds with no enemy units on them.

    Args:
        enemy_cells: the cells where units of the faction's enemies stand.
    """
    return [int(k) for k in neighbours[from_cell] if k >= 0 and control[k] == faction and int(k) not in enemy_cells]
