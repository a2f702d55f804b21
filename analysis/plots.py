"""Figures of a run: territory held over time, and the map of control on a day.

Built on :class:`matplotlib.figure.Figure` objects, not ``pyplot``, so no global
state or interactive backend is involved: the functions are safe in scripts,
tests and notebooks alike, and save PNGs with ``fig.savefig``.

The figures live in :mod:`analysis.territory_plot` (ground won and lost, the stacked
whole, the milestones against the record) and :mod:`analysis.map_plot` (the control
map); their shared colours in :mod:`analysis.plot_style`; the titles and besieged
cells a run hands them in :mod:`analysis.figure_inputs`. This module gathers them
under the names ``run.py``, the notebooks and ``viz`` use.
"""

from __future__ import annotations

from analysis.figure_inputs import besieged_cells, map_title, scenario_label, territory_title
from analysis.map_plot import plot_control_map, plot_map
from analysis.plot_style import (AIR_ARM_COLOURS, FACTION_COLOURS, LABEL_MIN_POPULATION, LABELLED_ROLES,
                                 RIVER_COLOUR, save_figure)
from analysis.territory_plot import plot_territory

__all__ = [
    "AIR_ARM_COLOURS", "FACTION_COLOURS", "LABELLED_ROLES", "LABEL_MIN_POPULATION", "RIVER_COLOUR",
    "besieged_cells", "map_title", "plot_control_map", "plot_map", "plot_territory", "save_figure",
    "scenario_label", "territory_title",
]
