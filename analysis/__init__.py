"""Analysis of runs: plots, sweeps from Python, milestones against the 2017 record, calibration.

What a notebook needs imports from here::

    from analysis import plot_territory, plot_map, run_sweep, sweep_milestones
    from analysis import prepare_fit, run_fit      # run.py calibrate (analysis.inference)

Names resolve on first use (PEP 562), as in ``simulation/__init__.py``: importing
one module of the package (``analysis.plots`` for ``run.py run``, ``analysis.sweep``
for a sweep) does not load the others (Dask, SALib, pyabc, the report's plots).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation.lazy_exports import lazy_exports

# Public name -> the module that defines it.
_EXPORTS = {
    "run_sweep": "analysis.experiments", "sobol_indices": "analysis.experiments",
    "RECORD": "analysis.history", "SWEEP_RECORD": "analysis.history", "Milestone": "analysis.history",
    "sweep_milestones": "analysis.history",
    "FACTION_COLOURS": "analysis.plots", "plot_control_map": "analysis.plots", "plot_map": "analysis.plots",
    "plot_territory": "analysis.plots",
    "first_order_indices": "analysis.sensitivity",
    "load_parameters": "analysis.inference.parameters", "prepare_fit": "analysis.inference.fit",
    "run_fit": "analysis.inference.fit",
    "fan_chart": "analysis.sweep_plots", "indices_plot": "analysis.sweep_plots",
    "milestone_distributions": "analysis.sweep_plots",
}

__all__ = [
    "FACTION_COLOURS", "RECORD", "SWEEP_RECORD", "Milestone",
    "plot_control_map", "plot_map", "plot_territory",
    "run_sweep", "sweep_milestones", "fan_chart", "milestone_distributions",
    "first_order_indices", "sobol_indices", "indices_plot", "load_parameters", "prepare_fit", "run_fit",
]

if TYPE_CHECKING:
    from analysis.experiments import run_sweep, sobol_indices
    from analysis.history import RECORD, SWEEP_RECORD, Milestone, sweep_milestones
    from analysis.inference.fit import prepare_fit, run_fit
    from analysis.inference.parameters import load_parameters
    from analysis.plots import FACTION_COLOURS, plot_control_map, plot_map, plot_territory
    from analysis.sensitivity import first_order_indices
    from analysis.sweep_plots import fan_chart, indices_plot, milestone_distributions

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
