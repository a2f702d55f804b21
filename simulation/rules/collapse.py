"""The insurgent's collapse: as its ground and its supply go, its fighters slip away.

In 2017 ISIS did not fight to the last man for every town. As its cities fell its
fighters deserted, fled into the desert or across the border, and surrendered in
hundreds (at Tal Afar and Hawija to Kurdish forces, in Raqqa by the October convoy).
Each day the insurgent's units lose a share of their fighters in proportion to the
share of the named places it held at the start that it has lost (towns, not empty
desert, hold a movement like ISIS together; counted as places, not people, so that the
last blocks of Mosul's old city, a cell of a million people, do not count as half its
realm), and more in a pocket cut off from its supply. Deserters leave the war: they are taken off the
side's manpower too.
"""

from __future__ import annotations

import numpy as np

from simulation.scenario.rule_params import CollapseRules


def places_lost(held_at_start: np.ndarray, held_now: np.ndarray) -> float:
    """Share (0-1) of the named places held at the start (bool per place) that the side no longer holds."""
    start = int(np.count_nonzero(held_at_start))
    return 0.0 if start == 0 else float(np.count_nonzero(held_at_start & ~held_now)) / start


def desertions(strengths, cut_off, lost: float, params: CollapseRules) -> np.ndarray:
    """Fighters each unit loses to desertion, flight and surrender today.

    Args:
        strengths: fighters in each of the insurgent's units.
        cut_off: whether each unit is cut off from its side's supply.
        lost: the share of its places the side has lost (:func:`places_lost`).
    """
    share = params.desertion_per_day * lost * np.where(np.asarray(cut_off, bool), params.cut_off_factor, 1.0)
    return np.asarray(strengths, dtype=float) * np.minimum(share, 1.0)
