"""US-Russia deconfliction: the split of the air space, and how it breaks down.

In 2017 a line (by default the Euphrates; in Deir ez-Zor the working split was SDF
east of the river, SAA west) divided the air space: coalition aircraft north-east
of it, Russian south-west. While it holds, the SAA and SDF do not fight and keep
off each other's ground. Units of the two in contact risk incidents; enough
incidents and the arrangement breaks: the two become hostile and the split ends.
Who is kept apart by the line, and who flies on which side, is in :mod:`simulation.roles`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class DeconflictionState:
    """Whether the arrangement is in force, and the incidents so far."""

    in_force: bool
    incidents: int = 0
    broken_on_step: int | None = None


def roll_incidents(contacts: int, rate: float, rng: np.random.Generator) -> int:
    """Incidents today among ``contacts`` SAA-SDF unit contacts, each with chance ``rate``."""
    return int(rng.binomial(contacts, rate)) if contacts > 0 else 0
