"""Overstretch: holding ground costs fighters, and thin garrisons invite insurgency.

Every held cell needs a garrison that grows with its area and, more, with its
people and how hostile they are to the holder (the SDF in Arab-majority towns, per
the July 2017 reporting), and more again near the insurgent's ground, which raids
and reinfiltrates it (so a neighbour's gains against ISIS ease a side's burden).
Fixed commitments elsewhere come off the top. The overstretch ratio is what the
side has committed in the theatre (garrisons, and the fighters in its field
formations) over the fighters it has there: past 1 its formations are drained into
garrisons, offensives slow, morale falls, and thinly held cells near ISIS ground
can flip back to it.
"""

from __future__ import annotations

import numpy as np

from simulation.scenario import OverstretchRules
from simulation.theatre import Community, TheatreMap


def hostility_layer(tmap: TheatreMap, faction_name: str, params: OverstretchRules) -> np.ndarray:
    """How hostile each cell's population is to a faction (1 = ordinary)."""
    table = params.hostility[faction_name]
    by_code = np.array([table[c.name.lower()] for c in Community])
    return by_code[tmap.community]


def garrison_need(tmap: TheatreMap, hostility: np.ndarray, params: OverstretchRules) -> np.ndarray:
    """Fighters each cell would need as garrison if the faction held it, away from any front."""
    return (params.garrison_per_km2 * tmap.cell_area_km2
            + params.garrison_per_1000_people * tmap.population / 1000.0 * hostility)


def front_need(need: np.ndarray, near_insurgent: np.ndarray, params: OverstretchRules) -> np.ndarray:
    """Garrison need with the insurgent's threat: cells within its reach need ``front_garrison_factor`` times more."""
    return need * np.where(near_insurgent, params.front_garrison_factor, 1.0)


def garrison_total(need: np.ndarray, held: np.ndarray, presence: np.ndarray) -> float:
    """Fighters needed to garrison held ground beyond what the units standing on it provide.

    A unit holds the cell it stands on, so a town with a formation in it needs no
    separate garrison up to that formation's strength.
    """
    return float(np.maximum(np.where(held, need, 0.0) - presence, 0.0).sum())


def garrison_totals(need: np.ndarray, held: np.ndarray, presence: np.ndarray) -> np.ndarray:
    """:func:`garrison_total` for every side at once: one row per side (need, held and presence
    shaped (sides, cells)); each the same sum, bit for bit. With :func:`front_need`, the reference of
    :func:`~simulation.rules.kernels.front_garrison_totals`, which the model uses."""
    return np.maximum(np.where(held, need, 0.0) - presence, 0.0).sum(axis=1)


def overstretch_ratio(need: float, in_formations: float, manpower: float, fixed_commitment: float) -> float:
    """Commitments over means: garrison need plus the fighters in field formations, over the
    fighters left after fixed commitments (inf if none are left).

    Past 1 the side cannot both hold its ground and keep its formations up to strength
    (the reinforcement rule then drains them into garrisons).
    """
    available = manpower - fixed_commitment
    committed = need + in_formations
    if available <= 0:
        return float("inf") if committed > 0 else 0.0
    return committed / available


def offensive_tempo(ratio: float, params: OverstretchRules) -> float:
    """Share of normal movement an offensive keeps under overstretch (1 below ratio 1)."""
    return 1.0 / max(1.0, ratio) ** params.stall_exponent


def insurgency_flips(held_by_stretched: np.ndarray, shortfall: np.ndarray, hostility: np.ndarray,
                     near_isis: np.ndarray, rng: np.random.Generator, params: OverstretchRules) -> np.ndarray:
    """Cells that rise for ISIS today.

    Args:
        held_by_stretched: bool per cell, held by a faction short of garrisons and empty of units.
        shortfall: per cell, the holder's unmet share of garrison need (0-1).
        hostility: per cell, the population's hostility to its holder.
        near_isis: bool per cell, within reach of ISIS ground (its cells can reinfiltrate).
    """
    p = params.insurgency_rate * shortfall * hostility
    return held_by_stretched & near_isis & (rng.random(p.size) < p)
