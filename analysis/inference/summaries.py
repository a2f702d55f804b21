"""What one simulation of the fit hands back, and what the record says it should be.

One simulation is one seed of the scenario with a particle's parameters, run to the
scenario's end and observed as ``run.py score`` observes a run
(:func:`analysis.scoring_runs.observe_run`), but on the record's **training** events
only: the test events never enter a fit, not even as statistics that a distance then
ignores. The summary statistics, one per training event the scenario can show:

- a dated event (a place taken, a siege formed or broken, a city cleared, an
  incident): its day in the run, counted from the scenario's start; a run that never
  reaches it counts as the day after the run ends, as :mod:`analysis.scoring` does.
  Events the record dates on or before the start are left out (every run would give
  them the same "before start");
- a quantity (a side's share of a city or a governorate, ISIS fighters round a city):
  the run's value on its date; quantities dated outside the run are left out.

The observed data (:func:`observed`) are the record's: the middle of a reported range
of dates, in days since the start, and the middle of a reported range of values. The
distance (:mod:`analysis.inference.distance`) uses the whole range, not just its
middle. Each simulation's seed comes from its parameters (:func:`particle_seed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.inference.parameters import FreeParameter
from analysis.record import RECORD_FILE, RecordEvent, load_record

DATED = ("captured", "city_cleared", "siege_broken", "siege_formed", "incident")
TRAINING = "training"


@dataclass(frozen=True)
class Target:
    """One summary statistic and the record's range for it.

    Attributes:
        id: the record event's id (the statistic's name).
        kind: ``day`` (a dated event: days since the start) or the quantity's measure
            (``share_of_city``, ``share_of_governorate``, ``isis_fighters``).
        low, high: the record's range (days since the start, or the quantity's unit).
    """

    id: str
    kind: str
    low: float
    high: float

    @property
    def observed(self) -> float:
        """The record's value: the middle of its range."""
        return (self.low + self.high) / 2


@dataclass(frozen=True)
class TrainingRecord:
    """The record's training events, and which occurrence of its kind each one is.

    A capture is found in a run as the n-th capture of that place by that captor, an
    incident as the k-th incident, counted over the whole record
    (:func:`analysis.scoring.event_ranks`): al-Qaim's second capture is a training
    event whatever the split of the first. Only the ranks are taken from the whole
    record, never a test event's date or value.
    """

    events: tuple[RecordEvent, ...]
    ranks: dict[str, int]


def training_record(record=None) -> TrainingRecord:
    """The record's training events (``split: training``), in record order, with their ranks.

    Args:
        record: the record's events, or a record file (default the shipped one).
    """
    from analysis.scoring import event_ranks

    if record is None or isinstance(record, (str, Path)):
        record = load_record(record or RECORD_FILE)
    events = tuple(e for e in record if e.split == TRAINING)
    ranks = event_ranks(record)
    return TrainingRecord(events, {e.id: ranks[e.id] for e in events})


def targets(events: tuple[RecordEvent, ...], start, end) -> tuple[Target, ...]:
    """The statistics a scenario from ``start`` to ``end`` can show, of the given (training) events."""
    out = []
    for e in events:
        if e.split != TRAINING:
            raise ValueError(f"{e.id}: a {e.split} event; a fit uses training events only")
        if e.kind in DATED and e.latest > start:
            out.append(Target(e.id, "day", float(max((e.earliest - start).days, 0)), float((e.latest - start).days)))
        elif e.kind == "quantity" and start <= e.date <= end:
            out.append(Target(e.id, e.measure, e.low, e.high))
    return tuple(out)


def observed(fit_targets: tuple[Target, ...]) -> dict[str, float]:
    """The observed summary statistics: the middle of each record range."""
    return {t.id: t.observed for t in fit_targets}


def particle_seed(fit_seed: int, values: list[float]) -> int:
    """The seed of the simulation of a parameter point: from the fit's seed and the point's exact values.

    numpy's SeedSequence of the fit's seed and the 64 bits of each fit-space value (as
    the sweeps derive theirs): a whole number below 2**32, the same for the same point
    on any machine, so any particle can be run again alone.
    """
    words = np.asarray(values, dtype=np.float64).view(np.uint32).tolist()
    return int(np.random.SeedSequence([int(fit_seed), *words]).generate_state(1)[0])


class Simulator:
    """The fit's model: a particle's parameters in, its summary statistics out.

    A picklable callable (pyabc sends it to Dask workers). Each call applies the
    parameters to the scenario as ``run.py run --set`` would
    (:meth:`~simulation.scenario.Scenario.with_overrides`: about 10 ms, against about
    a second for the run), runs one seed and observes the training events.

    Args:
        scenario: the checked scenario.
        parameters: the free parameters (checked against the scenario).
        cell_km: hex cell size, km.
        training: the training events of the record (:func:`training_record`).
        fit_seed: the fit's seed, from which each simulation's derives.
    """

    def __init__(self, scenario, parameters: tuple[FreeParameter, ...], cell_km: float,
                 training: TrainingRecord, fit_seed: int):
        self.scenario, self.parameters, self.cell_km = scenario, parameters, float(cell_km)
        self.training, self.fit_seed = training, int(fit_seed)
        self.targets = targets(training.events, scenario.start, scenario.end)
        self.last_day = scenario.days

    def seed_of(self, point: dict[str, float]) -> int:
        """The seed of a fit-space point (a mapping of parameter name to value)."""
        return particle_seed(self.fit_seed, [point[p.name] for p in self.parameters])

    def overrides(self, point: dict[str, float]) -> dict:
        """The ``--set`` overrides of a fit-space point."""
        return {p.key: p.override(point[p.name]) for p in self.parameters}

    def __call__(self, point: dict[str, float]) -> dict[str, float]:
        from analysis.scoring_runs import observe_run

        scenario = self.scenario.with_overrides(self.overrides(point))
        run = observe_run(scenario, self.seed_of(point), self.cell_km, self.training.events,
                          ranks=self.training.ranks)
        return summaries(run.days, run.quantities, self.targets, self.last_day)


def summaries(days: dict[str, float], quantities: dict[str, float], fit_targets: tuple[Target, ...],
              last_day: int) -> dict[str, float]:
    """One run's statistics: each dated event's day (never: ``last_day + 1``), each quantity's value."""
    out = {}
    for t in fit_targets:
        if t.kind == "day":
            day = days[t.id]
            out[t.id] = float(last_day + 1) if np.isnan(day) else float(day)
        else:
            out[t.id] = float(quantities[t.id])
    return out
