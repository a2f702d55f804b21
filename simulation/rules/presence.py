"""Where each side's fighters stand: the few cells with any, not a table of every cell.

Several rules a day ask how many of each side's fighters stand on each cell, or near
it (the zones of control, the garrison need, the manned front). Some forty units
stand on a few dozen of the theatre's thousands of cells, so a :class:`Presence` keeps
those cells alone; a rule that reaches out from them
(:func:`~simulation.rules.kernels.linked_any_of`, :func:`~simulation.rules.kernels.linked_sum_of`)
visits those cells alone, and :meth:`Presence.table` gives the whole (factions, cells)
table to a rule that reads every cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np


class Presence(NamedTuple):
    """Fighters per faction and cell, as entries: the cells where a faction's units stand, sorted by
    faction code and then cell, each once, with the fighters of its units there."""

    sides: np.ndarray  # int64, faction code per entry
    cells: np.ndarray  # int64
    fighters: np.ndarray  # float64
    shape: tuple[int, int]  # (factions, cells) of the whole table

    @classmethod
    def of_units(cls, factions: Iterable[int], cells: Iterable[int], strengths: Iterable[float],
                 shape: tuple[int, int]) -> Presence:
        """Units' fighters added up by faction and cell, in the units' order (as ``numpy.bincount``
        adds them, so the table is the same to the last bit)."""
        n = shape[1]
        fighters: dict[int, float] = {}
        for f, k, strength in zip(factions, cells, strengths):
            key = f * n + k
            fighters[key] = fighters.get(key, 0.0) + strength
        keys = sorted(fighters)
        at = np.array(keys, dtype=np.int64)
        return cls(at // n, at % n, np.array([fighters[key] for key in keys], dtype=float), shape)

    @classmethod
    def of_table(cls, table: np.ndarray) -> Presence:
        """The cells of a (factions, cells) table that hold any fighters."""
        table = np.asarray(table, dtype=float)
        sides, cells = np.nonzero(table)  # in row-major order: by faction, then cell
        return cls(sides.astype(np.int64), cells.astype(np.int64), table[sides, cells], table.shape)

    def table(self) -> np.ndarray:
        """The (factions, cells) table of fighters, zero where none stand."""
        out = np.zeros(self.shape)
        out[self.sides, self.cells] = self.fighters
        return out
