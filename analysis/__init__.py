"""Analysis of runs: plots, sweeps from Python, milestones against the 2017 record.

What a notebook needs imports from here::

    from analysis import plot_territory, plot_map, run_sweep, sweep_milestones
"""

from analysis.experiments import run_sweep, sobol_indices
from analysis.history import RECORD, SWEEP_RECORD, Milestone, sweep_milestones
from analysis.plots import FACTION_COLOURS, plot_control_map, plot_map, plot_territory
from analysis.sensitivity import first_order_indices
from analysis.sweep_plots import fan_chart, indices_plot, milestone_distributions

__all__ = [
    "FACTION_COLOURS", "RECORD", "SWEEP_RECORD", "Milestone",
    "plot_control_map", "plot_map", "plot_territory",
    "run_sweep", "sweep_milestones", "fan_chart", "milestone_distributions",
    "first_order_indices", "sobol_indices", "indices_plot",
]
