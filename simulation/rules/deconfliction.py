"""US-Russia deconfliction: the split of the air space, and how it breaks down.

In 2017 a line (by default the Euphrates; in Deir ez-Zor the working split was SDF
east of the river, SAA west) divided the air space: coalition aircraft north-east
of it, Russian south-west. While it holds, the SAA and SDF do not fight and keep
off each other's ground. Where their ground meets with fighters close by (a manned
front: south of Tabqa from June 2017, the Euphrates at Deir ez-Zor from September,
where they raced each other down the valley) they risk incidents, a chance per km
of such front a day; enough incidents and the arrangement breaks: the two become
hostile and the split ends.
Who is kept apart by the line, and who flies on which side, is in :mod:`simulation.roles`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.rules import kernels


@dataclass
class DeconflictionState:
    """Whether the arrangement is in force, and the incidents so far."""

    in_force: bool
    incidents: int = 0
    broken_on_step: int | None = None


def roll_incidents(contacts: int, rate: float, rng: np.random.Generator) -> int:
    """Incidents today among ``contacts`` stretches of front, each with chance ``rate``."""
    return int(rng.binomial(contacts, min(rate, 1.0))) if contacts > 0 else 0


def active_front(control: np.ndarray, west: int, east: int, touching, fighters_near, presence_west: np.ndarray,
                 presence_east: np.ndarray) -> np.ndarray:
    """The ``west`` side's cells on a manned front with ``east``: bordering its ground, with fighters of either near.

    Args:
        control: faction code per cell.
        west, east: the two sides the line keeps apart.
        touching: sparse (n, n) 0/1 in CSR layout and symmetric (as :meth:`TheatreMap.within`), the cells one
            ring away.
        fighters_near: the same, the cells within contact reach.
        presence_west, presence_east: fighters per cell of each side.

    Returns:
        Bool per cell.
    """
    # Compiled reached_from (simulation.theatre), the reference: the same cells.
    borders = kernels.linked_any(touching.indptr, touching.indices, (control == east)[None])[0]
    manned = kernels.linked_any(fighters_near.indptr, fighters_near.indices,
                                ((presence_west + presence_east) > 0)[None])[0]
    return (control == west) & borders & manned
