"""Who each side is in the campaign: whom it fights, where, how, and who flies over which ground.

One table read by every rule and agent, so that no other module names a faction to
decide what it does. In 2017 the Islamic State was every other side's enemy; the
Syrian government (SAA) and the SDF were kept apart by the US-Russia deconfliction
line (SAA south-west of the Euphrates in Deir ez-Zor, SDF north-east) and fought
each other only where it failed; Iraqi forces fought only in Iraq, and only ISIS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.factions import AirArm, Faction
from simulation.theatre import Country, TheatreMap

# The deconfliction line divides the air space and the ground advances in Syria only.
LINE_COUNTRY = Country.SYRIA


@dataclass(frozen=True)
class FactionRole:
    """What a ground faction does in the theatre.

    Attributes:
        fights_in: countries where it may take ground.
        line_side: under deconfliction, the side of the line it keeps to (-1 south-west,
            +1 north-east, 0 not bound by the line). Two sides bound to opposite sides
            do not fight while the line holds, and become enemies when it breaks.
        defends: holds its places and falls back on the ones it most wants to keep,
            rather than taking objectives (it erodes no unheld ground).
        insurgent: everyone's enemy; ground thinly held by others near its own rises
            for it, and a city is cleared once it holds no ground near it.
    """

    fights_in: tuple[Country, ...]
    line_side: int
    defends: bool
    insurgent: bool


@dataclass(frozen=True)
class AirRole:
    """Where an air arm may strike.

    Attributes:
        flies_over: countries it strikes in.
        line_side: the side of the deconfliction line it keeps to in Syria while the
            split holds (+1 north-east, -1 south-west).
    """

    flies_over: tuple[Country, ...]
    line_side: int


ROLES: dict[Faction, FactionRole] = {
    Faction.ISIS: FactionRole(fights_in=(Country.SYRIA, Country.IRAQ), line_side=0, defends=True, insurgent=True),
    Faction.SAA: FactionRole(fights_in=(Country.SYRIA,), line_side=-1, defends=False, insurgent=False),
    Faction.SDF: FactionRole(fights_in=(Country.SYRIA,), line_side=+1, defends=False, insurgent=False),
    Faction.ISF: FactionRole(fights_in=(Country.IRAQ,), line_side=0, defends=False, insurgent=False),
}

AIR_ROLES: dict[AirArm, AirRole] = {
    # Russia flew only over Syria; the coalition over Iraq and Syria.
    AirArm.COALITION: AirRole(flies_over=(Country.IRAQ, Country.SYRIA), line_side=+1),
    AirArm.RUSSIA: AirRole(flies_over=(Country.SYRIA,), line_side=-1),
}

INSURGENT: Faction = next(f for f in Faction if ROLES[f].insurgent)
ATTACKERS: tuple[Faction, ...] = tuple(f for f in Faction if not ROLES[f].defends)
# The two sides the line keeps apart, south-west side first (the SAA, then the SDF).
LINE_PAIR: tuple[Faction, Faction] = tuple(sorted((f for f in Faction if ROLES[f].line_side),
                                                   key=lambda f: ROLES[f].line_side))


def hostility_matrix(line_in_force: bool) -> np.ndarray:
    """``H[a, b]`` True where faction a treats faction b as an enemy.

    The insurgent is everyone's enemy; sides bound to opposite sides of the line are
    enemies only once the line is not in force; everyone else is at peace.
    """
    n = len(Faction)
    hostile = np.zeros((n, n), dtype=bool)
    for a in Faction:
        for b in Faction:
            if a == b:
                continue
            if ROLES[a].insurgent or ROLES[b].insurgent:
                hostile[a, b] = True
            elif not line_in_force and ROLES[a].line_side * ROLES[b].line_side < 0:
                hostile[a, b] = True
    return hostile


def operating_areas(tmap: TheatreMap, line_side: np.ndarray, line_in_force: bool) -> dict[Faction, np.ndarray]:
    """Cells each faction may take from an enemy: its countries, and its side of the line while it holds.

    Args:
        line_side: per cell, +1 north-east of the deconfliction line, -1 south-west.
        line_in_force: whether the deconfliction arrangement holds.
    """
    areas = {}
    for faction, role in ROLES.items():
        area = tmap.in_theatre & np.isin(tmap.country, role.fights_in)
        if line_in_force and role.line_side:
            area &= line_side * role.line_side > 0
        areas[faction] = area
    return areas


def air_permitted_cells(tmap: TheatreMap, arm: AirArm, line_side: np.ndarray, line_in_force: bool) -> np.ndarray:
    """Cells an air arm may strike: its countries, on its side of the line in Syria while the split holds."""
    role = AIR_ROLES[arm]
    permitted = np.zeros(tmap.n_cells, dtype=bool)
    for country in role.flies_over:
        cells = tmap.in_theatre & (tmap.country == country)
        if line_in_force and country == LINE_COUNTRY:
            cells &= line_side * role.line_side > 0
        permitted |= cells
    return permitted
