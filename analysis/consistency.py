"""How far a run's map agrees with the scenarios that start later in the same campaign.

A scenario dated 5 September and one dated 3 November each state the situation on
their day as the record gives it; a run from 4 July should arrive close to it. For
every scenario file beside the one run (same folder, not the variants in subfolders)
that starts inside the run, the run's map on that start date is set against that
scenario's initial map, cell by cell: overall, and per faction, which tells a
modeller where the run drifts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation import ConflictModel, Faction
from simulation.scenario import Scenario, load_scenario, scenario_file


@dataclass(frozen=True)
class LaterScenario:
    """A scenario starting inside the run, and its initial map over the theatre's cells."""

    path: Path
    name: str
    start: dt.date
    control: np.ndarray  # faction code per theatre cell (model.control[in_theatre])


def control_agreement(run_control: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """How far a run's map agrees with a reference map of the same theatre cells.

    Args:
        run_control: faction code per theatre cell in the run.
        reference: faction code per theatre cell in the reference (a later scenario's start).

    Returns:
        ``all``: share (0-1) of cells with the same holder; per faction name: share of
        the reference's cells held by that faction that the run also gives it (NaN if
        the reference gives it none).
    """
    run_control, reference = np.asarray(run_control), np.asarray(reference)
    same = run_control == reference
    out = {"all": float(same.mean()) if same.size else float("nan")}
    for f in Faction:
        held = reference == f
        out[f.name] = float(same[held].mean()) if held.any() else float("nan")
    return out


def later_scenarios(scenario_path, scenario: Scenario, cell_km: float) -> tuple[list[LaterScenario], list[str]]:
    """The scenario files beside this one that start inside its run, with their initial maps.

    Only files in the same folder (not variants in subfolders) that start after this
    scenario's start and on or before its end. Files that do not load are skipped with
    a note, as are those starting outside the run.
    """
    here = scenario_file(scenario_path).resolve()
    found, notes = [], []
    for path in sorted(here.parent.glob("*.yaml")) + sorted(here.parent.glob("*.yml")):
        if path.resolve() == here:
            continue
        try:
            other = load_scenario(path)
            if not scenario.start < other.start <= scenario.end:
                notes.append(f"{path.name}: starts {other.start.isoformat()}, outside this run; not compared")
                continue
            model = ConflictModel(other, seed=1, cell_km=cell_km)
        except Exception as exc:  # noqa: BLE001 - a scenario being written may fail in any way
            notes.append(f"{path.name}: skipped, it does not load ({type(exc).__name__}: {exc})".splitlines()[0])
            continue
        found.append(LaterScenario(path, other.name, other.start, model.control[model.theatre.in_theatre].copy()))
    return found, notes
