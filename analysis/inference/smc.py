"""pyabc's side of a fit: the sampler, the ABCSMC with its priors, distance and epsilon, and pyabc kept quiet.

- Priors: uniform over each parameter's range in fit space (log10 for a log-scale
  parameter); pyabc's default multivariate normal kernel perturbs particles there.
- Epsilon: a new fit's first generation accepts every draw from the prior (epsilon
  infinite, no hidden calibration sample); each later one takes the weighted median
  distance of the one before (``MedianEpsilon``). A resumed fit takes its first
  epsilon from the stored generation's distances, as an unbroken fit would.
- Sampling: ``DaskDistributedSampler`` on a local Dask cluster built as the sweeps
  build theirs (:func:`analysis.sweep_runner.local_cluster`: one-thread worker
  processes on 127.0.0.1, the model preloaded, no dashboard), or on a running cluster
  given by address; one worker samples in this process.
- Each finished generation is reported (:mod:`analysis.inference.progress`) and the
  fitting time so far written to the manifest.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import warnings

from analysis.inference import store
from analysis.inference.store import FitError

KERNEL_SCALING = 2.0  # the proposal kernel's covariance, as a multiple of pyabc's default (Silverman)


def sampler_for(workers: int | None, scheduler: str | None, progress):
    """pyabc's sampler for the fit, and the local cluster and Dask client it uses (None where none)."""
    from analysis.inference.progress import counting_dask_sampler, counting_single_process_sampler

    if scheduler is None and (workers or os.cpu_count() or 1) == 1:
        return counting_single_process_sampler(progress), None, None
    from analysis.sweep_runner import SweepError, connect_scheduler, local_cluster

    if scheduler:
        try:  # the address checked, and a scheduler that never answers given up on in seconds
            cluster, client = None, connect_scheduler(scheduler)
        except SweepError as exc:
            raise FitError(str(exc)) from None
    else:
        cluster, client = local_cluster(workers or os.cpu_count() or 1)
    return counting_dask_sampler(client, progress), cluster, client


def abcsmc_for(request, sampler, progress, manifest: dict, session_start: float, resumed: bool):
    """pyabc's ABCSMC for the request, on a new database or loaded from the fit's."""
    import numpy as np
    import pyabc

    from analysis.inference.distance import RecordDistance
    from analysis.inference.summaries import Simulator, observed

    simulator = Simulator(request.scenario, request.parameters, request.cell_km, request.training, request.seed)
    prior = pyabc.Distribution(**{p.name: pyabc.RV("uniform", p.fit_bounds[0], p.fit_bounds[1] - p.fit_bounds[0])
                                  for p in request.parameters})
    wall_before = manifest["wall_s"]

    class ReportingABCSMC(pyabc.ABCSMC):
        """ABCSMC that reports each finished generation and keeps the fitting time in the manifest."""

        def check_terminate(self, t, acceptance_rate):
            pops = self.history.get_all_populations().set_index("t")
            done = pops[pops.index >= 0]
            progress.generation_done(t, float(pops.loc[t, "epsilon"]), int(pops.loc[t, "particles"]),
                                     int(pops.loc[t, "samples"]), int(done.samples.sum()))
            store.write_manifest(request.out, {**manifest, "wall_s": wall_before + time.monotonic() - session_start})
            return super().check_terminate(t, acceptance_rate)

    # A new fit's first generation is the prior (epsilon infinite); a resumed one takes
    # its first epsilon from the stored generation's distances, as an unbroken fit would.
    eps = pyabc.MedianEpsilon("from_sample" if resumed else np.inf)
    # The proposal kernel at twice pyabc's default width (KERNEL_SCALING). With ten
    # parameters, a noisy one-seed distance and the default kernel, the importance
    # weights collapsed onto a handful of particles (an effective sample size of 3 of
    # 120 after seven generations): new particles drawn in the thin tails of a narrow
    # proposal carry a prior-over-proposal weight far above the rest. A wider kernel
    # keeps the proposal closer to flat over the posterior, at some cost in acceptance.
    transition = pyabc.MultivariateNormalTransition(scaling=KERNEL_SCALING)
    abc = ReportingABCSMC(simulator, prior, RecordDistance(simulator.targets), population_size=request.population,
                          sampler=sampler, eps=eps, transitions=transition)
    url = store.database_url(request.out)
    with quiet_pyabc():
        if resumed:
            abc.load(url, store.ABC_ID)
        else:
            (request.out / store.DATABASE).unlink(missing_ok=True)  # a fit cut short in its first generation
            abc.new(url, observed(simulator.targets))
    return abc


@contextlib.contextmanager
def quiet_pyabc():
    """pyabc's INFO logging and its warnings (inf - inf at the prior generation) kept off the terminal."""
    logger = logging.getLogger("ABC")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"pyabc\.")
            yield
    finally:
        logger.setLevel(level)
