"""The fit's results, read from its pyabc database: the last population, the generations, the marginals.

The posterior is the last generation's particles with their importance weights. Each
parameter's marginal is summarised by weighted quantiles: the weighted median as the
point estimate, and the 25-75% and 5-95% credible intervals. Quantiles are taken in
the parameter's own unit (a monotone change of scale, log10 or not, leaves them as
they are).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.inference.parameters import FreeParameter
from analysis.inference.summaries import particle_seed

QUANTILES = {"p05": 0.05, "p25": 0.25, "median": 0.5, "p75": 0.75, "p95": 0.95}


def weighted_quantiles(values, weights, qs) -> np.ndarray:
    """Quantiles of a weighted sample (the weighted empirical CDF, interpolated between points' midpoints)."""
    values, weights = np.asarray(values, float), np.asarray(weights, float)
    values, weights = values[weights > 0], weights[weights > 0]  # a point of no weight is no part of it
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order] / weights.sum()
    cdf = np.cumsum(weights) - weights / 2
    return np.interp(qs, cdf, values)


def effective_sample_size(weights) -> float:
    """Kish's effective sample size of importance weights: (sum w)^2 / sum w^2.

    Equal weights give the number of particles; one particle with all the weight gives 1.
    """
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w ** 2).sum()) if (w > 0).any() else 0.0


def posterior_frame(history, parameters: tuple[FreeParameter, ...], fit_seed: int, t: int | None = None
                    ) -> pd.DataFrame:
    """The particles of generation ``t`` (default the last), one row each.

    Columns: ``particle`` (0..n-1), ``weight`` (summing to 1), ``distance`` (days),
    ``seed`` (the seed its simulation ran with: ``run.py run --seed SEED --set
    KEY=VALUE ...`` repeats it), then each parameter's value in its own unit.
    """
    t = history.max_t if t is None else t
    population = history.get_population(t=t)
    rows = []
    for i, particle in enumerate(population.particles):
        point = {p.name: float(particle.parameter[p.name]) for p in parameters}
        rows.append({"particle": i, "weight": float(particle.weight), "distance": float(particle.distance),
                     "seed": particle_seed(fit_seed, [point[p.name] for p in parameters]),
                     **{p.key: p.from_fit(point[p.name]) for p in parameters}})
    frame = pd.DataFrame(rows, columns=["particle", "weight", "distance", "seed", *(p.key for p in parameters)])
    frame["weight"] = frame.weight / frame.weight.sum()
    return frame


def generations_frame(history) -> pd.DataFrame:
    """One row per generation: epsilon (days), particles accepted, simulations, acceptance rate, running total."""
    pops = history.get_all_populations()
    pops = pops[pops.t >= 0].sort_values("t")
    simulations = pops.samples.astype(int).to_numpy()
    return pd.DataFrame({"generation": pops.t.astype(int).to_numpy() + 1, "epsilon_days": pops.epsilon.to_numpy(),
                         "accepted": pops.particles.astype(int).to_numpy(), "simulations": simulations,
                         "acceptance_rate": pops.particles.to_numpy() / np.maximum(simulations, 1),
                         "simulations_total": np.cumsum(simulations),
                         "finished": pd.to_datetime(pops.population_end_time).dt.strftime("%Y-%m-%d %H:%M:%S")
                         .to_numpy()})


def marginals(posterior: pd.DataFrame, parameters: tuple[FreeParameter, ...]) -> pd.DataFrame:
    """Per parameter: the weighted median and the 5/25/75/95% weighted quantiles, with the prior range."""
    rows = []
    for p in parameters:
        q = weighted_quantiles(posterior[p.key], posterior.weight, list(QUANTILES.values()))
        rows.append({"key": p.key, **dict(zip(QUANTILES, q.tolist())), "low": p.low, "high": p.high,
                     "scale": p.scale, "basis": p.basis})
    return pd.DataFrame(rows, columns=["key", *QUANTILES, "low", "high", "scale", "basis"])
