"""Reinforcement: a side's pool of fighters tops its units up, or draws them into garrisons.

What a side has left after fixed commitments and garrisons is its manoeuvre force
(the overstretch rule). Fighters of that force not yet in units form a pool that tops
supplied units up toward their establishment, a share of it a day; a side whose units
hold more than its manoeuvre force has is short of garrisons, and its units lose a
share of the shortfall each day to hold ground.
"""

from __future__ import annotations

import numpy as np

from simulation.rules import kernels
from simulation.scenario.rule_params import ReinforcementRules


def reinforcements(strengths, establishments, supplied, manoeuvre: float, params: ReinforcementRules) -> list[float]:
    """Fighters each unit gains today (negative: drained into garrisons).

    Args:
        strengths: fighters in each of the side's units.
        establishments: each unit's full strength.
        supplied: whether each unit is linked to its side's supply (only those are topped up).
        manoeuvre: the side's manoeuvre force, fighters (manpower less commitments and garrisons).
    """
    total = sum(strengths)
    pool = manoeuvre - total
    if pool < 0:
        drain = params.drain_per_day * -pool
        return [-(drain * s / total) for s in strengths]
    # Compiled: top_ups_reference, the same bits.
    return kernels.top_ups(np.asarray(strengths, dtype=float), np.asarray(establishments, dtype=float),
                           np.asarray(supplied, dtype=bool), float(pool), params.top_up_per_day).tolist()


def top_ups_reference(strengths, establishments, supplied, pool: float, params: ReinforcementRules) -> list[float]:
    """The gains of :func:`reinforcements` from a pool of ``pool`` fighters to spare (numpy; the reference of
    :func:`~simulation.rules.kernels.top_ups`): each supplied unit short of its establishment wants what it
    lacks, at most ``top_up_per_day`` of its establishment, and all wants are scaled down alike when the pool
    is short."""
    wants = np.array([min(e - s, params.top_up_per_day * e) if ok and s < e else 0.0
                      for s, e, ok in zip(strengths, establishments, supplied)])
    if wants.sum() <= 0:
        return [0.0] * len(wants)
    return (wants * min(1.0, pool / wants.sum())).tolist()
