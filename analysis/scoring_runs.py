"""Run a scenario's seeds and observe what the record needs of each run.

Each run keeps, besides its event log, the record's quantities measured on their dates
(a side's share of a city, ISIS fighters round it, a side's share of a governorate)
and its map on the start date of every later scenario of the campaign, for the map
skill. Seeds run in spawned processes, one per CPU by default.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import scoring
from analysis.long_lived import freeze_loaded
from analysis.record import RecordEvent
from analysis.sweep_results import release_grid
from simulation import ConflictModel
from simulation.scenario import Scenario


@dataclass(frozen=True)
class ObservedRun:
    """What one seed hands back for scoring."""

    seed: int
    days: dict[str, float]  # dated record event -> day in the run (NaN never, -1 before start)
    quantities: dict[str, float]  # record quantity -> the run's value on its date
    maps: dict[dt.date, np.ndarray]  # later scenario's start -> the run's map over theatre cells


def observe_run(scenario: Scenario, seed: int, cell_km: float, record: tuple[RecordEvent, ...],
                map_dates: tuple[dt.date, ...] = (), ranks: dict[str, int] | None = None) -> ObservedRun:
    """Run one seed to the scenario's end and observe it (a top-level function, for worker processes).

    ``record`` may be part of the record (a fit's training events) when ``ranks``
    gives each event's occurrence counted over the whole (:func:`analysis.scoring.event_ranks`).
    """
    model = ConflictModel(scenario, seed=seed, cell_km=cell_km)
    inside = model.theatre.in_theatre
    due: dict[dt.date, list[RecordEvent]] = {}
    for e in record:
        if e.kind == "quantity" and scenario.start <= e.date <= scenario.end:
            due.setdefault(e.date, []).append(e)
    quantities, maps = {}, {}
    while True:
        for e in due.get(model.date, ()):
            quantities[e.id] = scoring.measure(model, e)
        if model.date in map_dates:
            maps[model.date] = model.control[inside].copy()
        if model.steps >= scenario.days:
            break
        model.step()
    days = scoring.run_days(model.events, record, scenario.start, scenario.end, ranks)
    release_grid(model)  # a worker observes thousands of runs in a fit: its memory stays flat
    return ObservedRun(seed, days, quantities, maps)


def _observe(task: tuple) -> ObservedRun:
    return observe_run(*task)


def _worker_starts() -> None:
    """A seed worker's first work: what is loaded stays for good (:func:`~analysis.long_lived.freeze_loaded`).

    The pool's initializer is this function, not ``freeze_loaded`` itself, so that a
    worker imports this module, and with it the model, before it freezes.
    """
    freeze_loaded()


def observe_runs(scenario: Scenario, seeds: list[int], cell_km: float, record, map_dates=(),
                 workers: int | None = None) -> list[ObservedRun]:
    """Every seed observed, in seed order; in spawned processes unless ``workers`` is 1."""
    tasks = [(scenario, s, cell_km, tuple(record), tuple(map_dates)) for s in seeds]
    workers = min(workers or os.cpu_count() or 1, len(tasks))
    if workers <= 1:
        return [_observe(t) for t in tasks]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_starts) as pool:
        return list(pool.map(_observe, tasks))


def days_frame(runs: list[ObservedRun]) -> pd.DataFrame:
    """One row per run (index: seed), one column per dated record event: its day in the run."""
    return pd.DataFrame([r.days for r in runs], index=pd.Index([r.seed for r in runs], name="seed"))


def quantities_frame(runs: list[ObservedRun]) -> pd.DataFrame:
    """One row per run (index: seed), one column per record quantity measured."""
    return pd.DataFrame([r.quantities for r in runs], index=pd.Index([r.seed for r in runs], name="seed"))
