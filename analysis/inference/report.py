"""The fit's report: the posterior's tables, its marginals in a figure, and a short Markdown account.

Written all together into ``--out`` (:func:`analysis.report_files.report_folder`):

- ``posterior.csv``: the last generation's particles, their weights, distances and seeds;
- ``posterior.yaml``: per parameter, the point estimate (weighted median), the 25-75%
  and 5-95% credible intervals, the prior range and its basis;
- ``generations.csv``: per generation, epsilon, particles accepted, simulations and
  the acceptance rate;
- ``posterior.png``: each parameter's marginal over its prior range;
- ``fit.md``: the method, the record's split, the run's size and time, the marginals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.style
import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from scipy.stats import gaussian_kde

from analysis.inference import distance as dist
from analysis.inference.parameters import FreeParameter
from analysis.inference.posterior import effective_sample_size
from analysis.inference.progress import clock
from analysis.report_files import report_folder
from simulation.export import write_csv

OUTPUT_FILES = ("posterior.csv", "posterior.yaml", "generations.csv", "posterior.png", "fit.md")


@dataclass
class FitSummary:
    """Everything a fit's report is written from."""

    scenario_name: str
    scenario_path: str
    cell_km: float
    population: int
    seed: int
    parameters: tuple[FreeParameter, ...]
    targets: tuple  # the training statistics (analysis.inference.summaries.Target)
    training_events: int  # training events in the record (some may lie outside the scenario)
    posterior: pd.DataFrame  # analysis.inference.posterior.posterior_frame
    generations: pd.DataFrame  # analysis.inference.posterior.generations_frame
    marginals: pd.DataFrame  # analysis.inference.posterior.marginals
    wall_s: float
    stopped: str  # why the fit stopped


def write_report(summary: FitSummary, out: Path) -> Path:
    """Write every file of the report into ``out``, all together or none; ``out``."""
    with report_folder(Path(out), OUTPUT_FILES) as tmp:
        write_csv(summary.posterior, tmp / "posterior.csv")
        write_csv(summary.generations, tmp / "generations.csv")
        (tmp / "posterior.yaml").write_text(posterior_yaml(summary), encoding="utf-8")
        plot_marginals(summary, tmp / "posterior.png")
        (tmp / "fit.md").write_text(markdown_report(summary), encoding="utf-8")
    return Path(out)


def _round(x: float) -> float:
    return float(f"{x:.4g}")


def posterior_yaml(summary: FitSummary) -> str:
    """Per parameter: estimate, credible intervals, prior and basis, as YAML."""
    last = summary.generations.iloc[-1]
    doc = {"scenario": summary.scenario_path, "cell_km": summary.cell_km, "population": summary.population,
           "generations": len(summary.generations), "simulations": int(last.simulations_total),
           "epsilon_days": _round(last.epsilon_days),
           "effective_sample_size": _round(effective_sample_size(summary.posterior["weight"])), "parameters": {}}
    for m in summary.marginals.itertuples():
        doc["parameters"][m.key] = {
            "estimate": _round(m.median), "ci50": [_round(m.p25), _round(m.p75)],
            "ci90": [_round(m.p05), _round(m.p95)], "prior": {"low": m.low, "high": m.high, "scale": m.scale},
            "basis": m.basis}
    header = ("# The posterior of run.py calibrate: per parameter, the weighted median of the last\n"
              "# generation (estimate) and its 25-75% (ci50) and 5-95% (ci90) weighted credible intervals.\n")
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


# ---- the figure ----------------------------------------------------------------------
def plot_marginals(summary: FitSummary, path) -> None:
    """Draw each parameter's marginal into ``path``: one panel per parameter over its prior range.

    A panel shows the weighted histogram and density, the prior, the estimate and the
    50% and 90% intervals, on a log axis for a log-scale parameter.
    """
    with matplotlib.style.context("default"):  # importing pyabc sets a global style of its own
        marginals_figure(summary).savefig(path, dpi=110)


def marginals_figure(summary: FitSummary) -> Figure:
    """The figure of :func:`plot_marginals`."""
    params = summary.parameters
    cols = 2 if len(params) > 1 else 1
    rows = -(-len(params) // cols)
    fig = Figure(figsize=(5.2 * cols, 2.3 * rows + 0.7), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    w = summary.posterior.weight.to_numpy()
    for i, (ax, p, m) in enumerate(zip(axes, params, summary.marginals.itertuples())):
        x = np.array([p.to_fit(v) for v in summary.posterior[p.key]])  # densities in fit space
        lo, hi = p.fit_bounds
        unit = (lambda v: 10.0 ** np.asarray(v)) if p.scale == "log" else np.asarray  # fit space -> the value
        ax.axvspan(m.p05, m.p95, color="#fdae6b", alpha=0.35, lw=0, label="90% interval")
        ax.axvspan(m.p25, m.p75, color="#e6550d", alpha=0.30, lw=0, label="50% interval")
        edges = np.linspace(lo, hi, 21)
        ax.hist(unit(x), bins=unit(edges), weights=w / np.diff(edges)[0], color="#6baed6", alpha=0.8,
                edgecolor="white", label="posterior")
        grid = np.linspace(lo, hi, 200)
        if len(np.unique(x)) > 2:
            ax.plot(unit(grid), gaussian_kde(x, weights=w)(grid), color="#08519c", lw=1.2)
        ax.axhline(1 / (hi - lo), color="grey", ls="--", lw=1, label="prior")
        ax.axvline(m.median, color="#a63603", lw=1.6, label="median")
        if p.scale == "log":  # ticks at 1, 2 and 5 times powers of ten, written plainly
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(p.low, p.high)
        ax.set_yticks([])
        ax.set_title(f"{p.key}: {m.median:.3g} ({m.p05:.3g} to {m.p95:.3g})", fontsize=9)
        ax.tick_params(labelsize=8)
        if i == 0:
            ax.legend(fontsize=7, loc="upper right", frameon=False)
    for ax in axes[len(params):]:
        ax.set_visible(False)
    last = summary.generations.iloc[-1]
    fig.suptitle(f"{summary.scenario_name}: posterior after {len(summary.generations)} generations "
                 f"(epsilon {last.epsilon_days:.1f} days, {summary.cell_km:g} km cells); median and 5-95%",
                 fontsize=10)
    return fig


# ---- the Markdown report -------------------------------------------------------------
def markdown_report(summary: FitSummary) -> str:
    """The fit in a page: method, data, size and time, marginals and the figure."""
    gens, last = summary.generations, summary.generations.iloc[-1]
    dated = sum(t.kind == "day" for t in summary.targets)
    lines = [
        f"# Calibration by ABC-SMC: {summary.scenario_name}", "",
        f"Scenario `{summary.scenario_path}`, {summary.cell_km:g} km cells; written by `run.py calibrate`.", "",
        "## Method", "",
        "Approximate Bayesian computation by sequential Monte Carlo (pyabc's `ABCSMC`). Each particle is a point "
        "of the free parameters, drawn from uniform priors (on log10 for log-scale parameters) and then from a "
        "multivariate normal kernel fitted to the last generation; each simulation is one seed of the scenario "
        "with the particle's values as `--set` overrides, the seed derived from the values and the fit's seed "
        f"({summary.seed}). The first generation accepts every draw from the prior (epsilon infinite); each "
        "later one takes as epsilon the weighted median distance of the one before.", "",
        "Distance: the mean error in days over the training statistics, zero inside the record's range: a dated "
        "event's days outside its reported dates (never reached: the day after the run ends), a share's "
        f"distance outside its range at {dist.DAYS_PER_SHARE:g} days per whole share, ISIS fighters' factor "
        f"outside the range at {dist.DAYS_PER_DOUBLING:g} days per doubling. Epsilon reads as mean days off.", "",
        "## Data: the record's training split", "",
        f"`analysis/record/record_2017.yaml` has {summary.training_events} training events; this scenario shows "
        f"{len(summary.targets)} of them: {dated} dated events and {len(summary.targets) - dated} quantities. The "
        "test events are never simulated or fitted; score the posterior on them with `run.py score`.", "",
        "## The run", "",
        f"- Population: {summary.population} particles per generation",
        f"- Generations: {len(gens)}; stopped: {summary.stopped}",
        f"- Simulations: {int(last.simulations_total)} in all",
        f"- Final epsilon: {last.epsilon_days:.2f} days",
        f"- Effective sample size of the last generation: {effective_sample_size(summary.posterior['weight']):.1f} "
        f"of {len(summary.posterior)} particles (Kish's (sum w)^2 / sum w^2: how many equally weighted particles "
        "the posterior is worth; far below the population, a few particles carry it and its intervals are rough)",
        f"- Wall time: {clock(summary.wall_s)}", "",
        "| generation | epsilon (days) | accepted | simulations | acceptance rate |",
        "|---:|---:|---:|---:|---:|"]
    lines += [f"| {g.generation} | {g.epsilon_days:.2f} | {g.accepted} | {g.simulations} | {g.acceptance_rate:.0%} |"
              for g in gens.itertuples()]
    lines += ["", "## Marginal posteriors", "",
              "Point estimate: the weighted median of the last generation; intervals: weighted quantiles.", "",
              "| parameter | prior | estimate | 50% interval | 90% interval | basis of the prior |",
              "|---|---|---:|---|---|---|"]
    for m in summary.marginals.itertuples():
        lines.append(f"| `{m.key}` | {m.low:g} to {m.high:g} ({m.scale}) | {m.median:.3g} | {m.p25:.3g} to "
                     f"{m.p75:.3g} | {m.p05:.3g} to {m.p95:.3g} | {m.basis} |")
    lines += ["", "![Marginal posteriors over the prior ranges](posterior.png)", "",
              "Files: `posterior.csv` (particles, weights, seeds), `posterior.yaml`, `generations.csv`, "
              "`posterior.png`; `fit.db` is pyabc's database (`pyabc.History`), `fit.json` the fit's manifest.", ""]
    return "\n".join(lines)
