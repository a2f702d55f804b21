"""Morale: it drifts day by day with rest, hunger and overstretch, and a lost town shakes a whole side.

A unit at rest and supplied recovers, but rest alone lifts it no higher than
``recovery_ceiling``; one short of supply loses a
little each day, and so does every unit of a side that cannot hold its ground (its
overstretch past 1, in full at 2). Losing a named place costs every unit of the side
that held it some morale, a city of ``place_loss_full_people`` or more the full shock.
Losses in combat and air strikes are charged where they happen (combat, air support).
"""

from __future__ import annotations

import numpy as np

from simulation.rules import kernels
from simulation.scenario.rule_params import MoraleRules


def rally(morale, supply, engaged, overstretch: float, params: MoraleRules) -> np.ndarray:
    """Units' morale after a day's drift.

    Compiled (:func:`~simulation.rules.kernels.rally`; a side's dozen units cost numpy a dozen calls a
    day); the same values, bit for bit, as :func:`rally_reference`.

    Args:
        morale: each unit's morale, 0-1.
        supply: each unit's supply level, 0-1.
        engaged: whether each unit fought today (no rest then).
        overstretch: the side's overstretch ratio (garrison need over fighters available).
    """
    stretch = max(0.0, overstretch - 1.0)
    return kernels.rally(np.asarray(morale, dtype=float), np.asarray(supply, dtype=float),
                         np.asarray(engaged, dtype=bool), params.overstretch_loss_per_day * min(stretch, 1.0),
                         params.recovery_per_day, params.rest_min_supply, params.unsupplied_below_supply,
                         params.unsupplied_loss_per_day, params.recovery_ceiling)


def rally_reference(morale, supply, engaged, overstretch: float, params: MoraleRules) -> np.ndarray:
    """:func:`rally` with numpy (the reference)."""
    morale, supply = np.asarray(morale, dtype=float), np.asarray(supply, dtype=float)
    stretch = max(0.0, overstretch - 1.0)
    change = np.where((supply > params.rest_min_supply) & ~np.asarray(engaged, dtype=bool),
                      params.recovery_per_day, 0.0)
    change = change - np.where(supply < params.unsupplied_below_supply, params.unsupplied_loss_per_day, 0.0)
    change = change - params.overstretch_loss_per_day * min(stretch, 1.0)
    return np.clip(morale + change, 0.0, np.where(change > 0, params.recovery_ceiling, 1.0))


def place_loss_shock(population: float, params: MoraleRules) -> float:
    """Morale every unit of a side loses when it loses a named place of this many people."""
    return params.place_loss_shock * min(1.0, population / params.place_loss_full_people)
