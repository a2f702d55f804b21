"""``run.py calibrate``: fit the free parameters to the record's training events by ABC-SMC (pyabc).

:func:`prepare_fit` checks everything the user gave (the parameter table against the
scenario, the options, the output folder, what ``--resume`` would go on with) and
runs nothing; :func:`run_fit` then runs pyabc's ``ABCSMC`` (set up in
:mod:`analysis.inference.smc`) and writes the report (:mod:`analysis.inference.report`).

- Priors: uniform over each parameter's range, on log10 for log-scale parameters
  (:mod:`analysis.inference.parameters`); pyabc's default multivariate normal kernel
  perturbs particles in that space.
- Model and distance: one seed of the scenario per particle, observed on the training
  events (:mod:`analysis.inference.summaries`); the mean error in days against the
  record's ranges (:mod:`analysis.inference.distance`).
- Epsilon: the first generation accepts every draw from the prior (no hidden
  calibration sample); each later one takes the weighted median distance of the one
  before (pyabc's ``MedianEpsilon``).
- Stopping: after ``generations`` generations in all, or the first generation with
  epsilon at or below ``min_epsilon`` days, or the first that takes the simulations in
  all past ``max_simulations`` (pyabc checks once a generation is complete).
- Sampling: ``DaskDistributedSampler`` on a local Dask cluster built as the sweeps
  build theirs (:func:`analysis.sweep_runner.local_cluster`: one-thread worker
  processes on 127.0.0.1, the model preloaded, no dashboard), or on a running cluster
  given by address; ``workers=1`` samples in this process.
- Resuming: every finished generation is in ``OUT/fit.db``; ``--resume`` loads it
  (``ABCSMC.load``) and goes on from the next generation. A generation cut short is
  lost, not half kept.

Reproducibility, as far as pyabc allows: each simulation's seed is a hash of the fit's
seed and the particle's exact values (:func:`analysis.inference.summaries.particle_seed`),
so every particle, in ``posterior.csv`` or in the database, reruns exactly alone.
With one worker the whole fit repeats exactly for the same seed (pyabc draws its
proposals from numpy's global generator, seeded here). On Dask it does not: pyabc
reseeds each task's generator from the operating system and accepts particles in the
order they finish, so which points are drawn and kept changes from fit to fit; the
posterior changes only as much as its Monte Carlo error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from analysis.inference import store
from analysis.inference.parameters import (PARAMETERS_FILE, FreeParameter, ParameterError, check_against,
                                           load_parameters, parameters_from)
from analysis.inference.smc import abcsmc_for, quiet_pyabc, sampler_for
from analysis.inference.store import FitError
from analysis.inference.summaries import TrainingRecord, targets, training_record

DEFAULT_POPULATION = 200
DEFAULT_GENERATIONS = 8


@dataclass(frozen=True)
class FitRequest:
    """A checked fit: what to fit, how long, and where; nothing has run or been written."""

    scenario_path: str  # as the user gave it
    scenario: object  # the checked Scenario
    parameters: tuple[FreeParameter, ...]
    cell_km: float
    population: int
    generations: int  # in all, counting those already done
    max_simulations: int | None  # in all
    min_epsilon: float  # days
    seed: int
    out: Path
    training: TrainingRecord
    resume: dict | None  # the manifest of the fit to go on with


@dataclass(frozen=True)
class FitOutcome:
    """How a fit ended: generations and simulations in all, the last epsilon, and why it stopped."""

    generations: int
    simulations: int
    epsilon: float
    stopped: str
    interrupted: bool = False


def prepare_fit(scenario_path, out: Path, *, resume: bool = False, parameters=None, population: int | None = None,
                generations: int = DEFAULT_GENERATIONS, max_simulations: int | None = None,
                min_epsilon: float = 0.0, cell_km: float | None = None, seed: int | None = None,
                record=None) -> FitRequest:
    """Check a fit before anything runs or is written.

    Args:
        scenario_path: the scenario file or shipped name.
        out: the output folder (for a new fit: missing or empty).
        resume: go on with the fit in ``out``; options not given are the fit's.
        parameters: the parameter table file (default the shipped one, or the fit's).
        population: particles per generation (default 200, or the fit's).
        generations: generations in all, counting those already done.
        max_simulations: stop after the generation that takes the simulations in all past this.
        min_epsilon: stop after the first generation with epsilon at or below this, days.
        cell_km: hex cell size in km (default the scenario's, or the fit's).
        seed: the fit's seed (default 1, or the fit's).
        record: the record's events or file (default the shipped record).

    Raises:
        FitError, ParameterError: one line, before anything runs.
        ScenarioError: the scenario does not load.
    """
    from simulation.scenario import load_scenario

    for name, value, least in (("--population", population, 2), ("--generations", generations, 1),
                               ("--max-simulations", max_simulations, 1)):
        if value is not None and int(value) < least:
            raise FitError(f"{name}: must be at least {least}, got {value}")
    if min_epsilon < 0:
        raise FitError(f"--min-epsilon: must not be negative, got {min_epsilon:g}")
    out = Path(out)
    manifest = store.check_folder(out, resume)
    if parameters is not None:
        table, source = load_parameters(parameters), str(parameters)
    elif manifest is not None:
        table, source = parameters_from(manifest["parameters"], f"{out / store.MANIFEST}"), str(out / store.MANIFEST)
    else:
        table, source = load_parameters(PARAMETERS_FILE), str(PARAMETERS_FILE)
    scenario = load_scenario(scenario_path)
    table = check_against(table, scenario, source)
    training = training_record(record)
    request = FitRequest(str(scenario_path), scenario, table, float(cell_km or scenario.cell_km),
                         int(population or DEFAULT_POPULATION), int(generations),
                         None if max_simulations is None else int(max_simulations), float(min_epsilon),
                         1 if seed is None else int(seed), out, training, manifest)
    if not targets(training.events, scenario.start, scenario.end):
        raise FitError(f"{scenario_path}: no training event of the record falls inside the scenario's dates")
    if manifest is not None:
        request = _resumed(request, manifest, population, cell_km, seed)
    return request


def manifest_of(request: FitRequest) -> dict:
    """What the fit is, as written to ``fit.json`` (and compared by ``--resume``)."""
    return {"scenario": request.scenario_path, "scenario_name": request.scenario.name,
            "scenario_digest": store.digest(request.scenario.model_dump(mode="json")),
            "cell_km": request.cell_km, "population": request.population, "seed": request.seed,
            "parameters": [p.as_dict() for p in request.parameters],
            "training": [e.id for e in request.training.events],
            "training_digest": store.digest([repr(e) for e in request.training.events]),
            "abc_id": store.ABC_ID, "wall_s": 0.0}


def _resumed(request: FitRequest, manifest: dict, population, cell_km, seed) -> FitRequest:
    """The request with the fit's own settings; FitError where what was given differs from the fit's."""
    request = replace(request, population=int(manifest["population"]), cell_km=float(manifest["cell_km"]),
                      seed=int(manifest["seed"]))
    where = f"--out {request.out}"
    for option, given, fit in (("--population", population, manifest["population"]),
                               ("--cell-km", cell_km, manifest["cell_km"]), ("--seed", seed, manifest["seed"])):
        if given is not None and float(given) != float(fit):
            raise FitError(f"{option} {given:g}: the fit in {request.out} uses {fit:g}; leave it out to go on with it")
    mine = manifest_of(request)
    for key, what in (("scenario_digest", "the scenario differs from the fit's (changed since, or another one)"),
                      ("parameters", "the parameter table differs from the fit's"),
                      ("training_digest", "the record's training events have changed since the fit began")):
        if mine[key] != manifest[key]:
            raise FitError(f"{where}: {what}; use another --out for a new fit")
    return request


# ---- running it --------------------------------------------------------------------------
def run_fit(request: FitRequest, workers: int | None = None, scheduler: str | None = None,
            stream=None) -> FitOutcome:
    """Run (or go on with) the fit and write its report into ``request.out``.

    Args:
        request: a checked fit (:func:`prepare_fit`).
        workers: local worker processes (default one per CPU; 1: in this process).
        scheduler: the address of a running Dask scheduler (``tcp://host:port``) instead.
        stream: where progress goes (default stderr).

    Raises:
        FitError: the folder cannot be written, or the scheduler cannot be reached.
    """
    import numpy as np

    from analysis.inference.progress import FitProgress, ctrl_c_kept

    manifest = request.resume or manifest_of(request)
    done_before = store.generations_done(request.out) if request.resume else 0
    progress = FitProgress(request.generations, request.population, stream, elapsed_before=manifest["wall_s"],
                           done_before=done_before)
    if done_before >= request.generations:
        return _finish(request, manifest, progress, "the generations asked for were already done")
    cluster = client = None
    begun, session_start = False, time.monotonic()
    try:
        # A scheduler that cannot be reached is refused before anything is written.
        sampler, cluster, client = sampler_for(workers, scheduler, progress)
        store.make_folder(request.out)
        if request.resume is None:
            store.write_manifest(request.out, manifest)
        begun = True
        np.random.seed(request.seed)  # pyabc's proposals, where they are drawn in this process
        abc = abcsmc_for(request, sampler, progress, manifest, session_start, resumed=done_before > 0)
        with quiet_pyabc(), ctrl_c_kept(progress):
            history = abc.run(minimum_epsilon=request.min_epsilon,
                              max_nr_populations=request.generations - done_before,
                              max_total_nr_simulations=request.max_simulations or np.inf)
            if progress.interrupted:  # pressed as the last generation was written: kept, and stopped here
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        progress.close()
        if not begun:
            raise
        done = store.generations_done(request.out)
        return FitOutcome(done, store.simulations_done(request.out), float("nan"), "interrupted", interrupted=True)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return _finish(request, manifest, progress, _why_stopped(request, history))


def _why_stopped(request: FitRequest, history) -> str:
    """Why pyabc stopped, in words."""
    done = history.max_t + 1
    pops = history.get_all_populations()
    eps = float(pops[pops.t == history.max_t].epsilon.iloc[0])
    if done >= request.generations:
        return f"{done} generations, as asked"
    if eps <= request.min_epsilon:
        return f"epsilon {eps:.2f} days, at or below --min-epsilon {request.min_epsilon:g}"
    if request.max_simulations is not None and history.total_nr_simulations >= request.max_simulations:
        return f"{history.total_nr_simulations} simulations, past --max-simulations {request.max_simulations}"
    return "pyabc stopped"


def _finish(request: FitRequest, manifest: dict, progress, stopped: str) -> FitOutcome:
    """Write the report from the database; the outcome."""
    import pyabc

    from analysis.inference.posterior import (
        generations_frame,
        marginals,
        posterior_frame,
    )
    from analysis.inference.report import FitSummary, write_report

    with quiet_pyabc():
        history = pyabc.History(store.database_url(request.out), create=False)
        history.id = store.ABC_ID
        posterior = posterior_frame(history, request.parameters, request.seed)
        generations = generations_frame(history)
    wall = float(store.read_manifest(request.out)["wall_s"])
    fit_targets = targets(request.training.events, request.scenario.start, request.scenario.end)
    summary = FitSummary(request.scenario.name, request.scenario_path, request.cell_km, request.population,
                         request.seed, request.parameters, fit_targets, len(request.training.events), posterior,
                         generations, marginals(posterior, request.parameters), wall, stopped)
    write_report(summary, request.out)
    last = generations.iloc[-1]
    return FitOutcome(len(generations), int(last.simulations_total), float(last.epsilon_days), stopped)


__all__ = ["DEFAULT_GENERATIONS", "DEFAULT_POPULATION", "FitError", "FitOutcome", "FitRequest", "ParameterError",
           "prepare_fit", "run_fit"]
