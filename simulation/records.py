"""The day's figures and the event log, as tidy tables; the map of every day, for going back.

The daily figures go through Mesa's ``DataCollector`` (one table row per faction per
day, and one per faction and governorate); events and air strikes are plain lists
of records. All three come out as pandas DataFrames with calendar dates, and as
plain columns (:func:`plain_table`) for writing them without loading pandas.

Each day also keeps what the browser map shows of it, so that a viewer can go back
in time and a finished run can be replayed without running it again: the control
map (``model.control_history``), the besieged cells (``model.besieged_history``), where
each unit stood and how strong it was (``model.unit_history``) and the deconfliction
line's state (``model.line_history``). A run's ``history.npz`` holds the same
(:func:`write_history`, :func:`read_history`); both give a :class:`DayState` per day.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simulation.factions import FACTIONS, Faction
from simulation.mesa_compat import add_table_rows
from simulation.roles import INSURGENT

if TYPE_CHECKING:
    import pandas as pd
    from mesa import DataCollector

# A city counts as cleared once ISIS holds no ground within this distance of its
# centre: the built-up area, its river islands and its outskirts on both banks
# (Deir ez-Zor's districts and islands run about 10 km along the Euphrates).
CITY_RING_KM = 12.0

FACTION_NAMES = tuple(f.name for f in FACTIONS)  # as the tables name them
DAILY_COLUMNS = ["date", "step", "faction", "area_km2", "cells", "population", "strength",
                 "units", "manoeuvre", "garrison_need", "overstretch", "morale", "supply"]
GOVERNORATE_COLUMNS = ["date", "step", "faction", "governorate", "area_km2", "cells", "population"]
EVENT_COLUMNS = ["date", "step", "event", "place", "faction", "detail"]
STRIKE_COLUMNS = ["date", "step", "air_arm", "lat", "lon", "target_faction", "strikes"]


def make_datacollector() -> DataCollector:
    """A DataCollector with the model-level series and the two tidy tables."""
    # Mesa here: run.py's plot helper reads a run's tables with this module (columns_frame), without Mesa.
    from mesa import DataCollector

    return DataCollector(
        model_reporters={
            "isis_area_km2": lambda m: m.area_held(INSURGENT),
            "incidents": lambda m: m.deconfliction.incidents,
            "civilian_harm": lambda m: m.civilian_harm,
        },
        tables={"daily": DAILY_COLUMNS, "governorate": GOVERNORATE_COLUMNS},
    )


def record_day(model) -> None:
    """Keep today's map (holders, besieged cells, units, the line); add today's rows.

    The rows are per faction, and per faction and governorate. The first day's
    record starts the histories (see the module's docstring); they only read the
    model, so keeping them changes no result.
    """
    if not model.control_history:
        model.besieged_history, model.unit_history, model.line_history = [], UnitHistory(), []
    snapshot = model.control.copy()  # int8 per cell: about 5 KB a day at 10 km
    snapshot.setflags(write=False)
    model.control_history.append(snapshot)
    besieged = besieged_cells(model)  # a few dozen cells at most
    besieged.setflags(write=False)
    model.besieged_history.append(besieged)
    model.unit_history.record(model.all_units())
    model.line_history.append((bool(model.deconfliction.in_force), int(model.deconfliction.incidents)))
    tmap, nf, steps = model.theatre, len(Faction), model.steps
    date = model.date.isoformat()
    names = tmap.governorate_names
    ng = len(names)
    from simulation.rules import kernels  # here: reading a run's records needs no numba

    # Compiled: held_tallies_reference, the same sums.
    cells, area, people, g_cells, g_area, g_people = kernels.held_tallies(
        model.control, tmap.in_theatre, tmap.governorate, ng, nf, tmap.cell_area_km2, tmap.population)
    units = [model.units_of(f) for f in FACTIONS]
    strength = [float(sum(u.strength for u in side)) for side in units]
    morale, supply = zip(*(_strength_weighted(side, ("morale", "supply")) for side in units))
    add_table_rows(model.datacollector, "daily", {
        "date": [date] * nf, "step": [steps] * nf, "faction": list(FACTION_NAMES),
        "area_km2": area.tolist(), "cells": cells.tolist(), "population": people.tolist(),
        "strength": [float(model.manpower[f]) for f in FACTIONS], "units": strength,
        "manoeuvre": [float(model.manoeuvre[f]) for f in FACTIONS],
        "garrison_need": [float(model.garrison_total[f]) for f in FACTIONS],
        "overstretch": [float(model.overstretch[f]) for f in FACTIONS],
        "morale": list(morale), "supply": list(supply),
    })
    add_table_rows(model.datacollector, "governorate", {
        "date": [date] * (nf * ng), "step": [steps] * (nf * ng),
        "faction": [name for name in FACTION_NAMES for _ in names], "governorate": list(names) * nf,
        "area_km2": g_area.tolist(), "cells": g_cells.tolist(), "population": g_people.tolist(),
    })
    model.datacollector.collect(model)


def held_tallies_reference(control, in_theatre, governorate, n_governorates: int, n_factions: int, cell_area,
                           population) -> tuple[np.ndarray, ...]:
    """The theatre cells each faction holds, their area and people, in all and per governorate (numpy; the
    reference of :func:`~simulation.rules.kernels.held_tallies`, which :func:`record_day` uses).

    Returns:
        cells, area, people per faction; then the same per faction and governorate, faction by faction.
    """
    holder = np.where(in_theatre, control, -1) + 1  # 0: outside the theatre, dropped
    key = np.where(in_theatre, control.astype(np.int64) * n_governorates + governorate, -1) + 1
    tallies = []
    for bins, size in ((holder, n_factions), (key, n_factions * n_governorates)):
        tallies += [np.bincount(bins, minlength=size + 1)[1:],
                    np.bincount(bins, weights=cell_area, minlength=size + 1)[1:],
                    np.bincount(bins, weights=population, minlength=size + 1)[1:]]
    return tuple(tallies)


def _strength_weighted(units, attrs: Sequence[str]) -> list[float]:
    """Units' mean of each of ``attrs`` weighted by their fighters (0 with none), summed as ``numpy.average`` sums.

    Not :func:`simulation.rules.combat.strength_weighted`, whose plain sum in unit order
    differs in the last bits: the table's figures have always been numpy's. Compiled
    (:func:`~simulation.rules.kernels.weighted_means`); the same bits as :func:`strength_weighted_reference`.
    """
    if not units:
        return [0.0] * len(attrs)
    from simulation.rules import kernels

    return kernels.weighted_means(np.array([u.strength for u in units]),
                                  np.array([[getattr(u, attr) for u in units] for attr in attrs])).tolist()


def strength_weighted_reference(strengths, values: Sequence) -> list[float]:
    """:func:`_strength_weighted` of units with these ``strengths`` and, per attribute, these ``values`` (numpy;
    the reference)."""
    weights = np.array(strengths, dtype=float)
    total = weights.sum()
    if not total > 0:
        return [0.0] * len(values)
    return [float(np.multiply(row, weights).sum() / total) for row in values]


def besieged_cells(model) -> np.ndarray:
    """The theatre's cells cut off from their holder's supply sources today, as sorted flat indices.

    Compiled (:func:`~simulation.rules.kernels.cut_off_cells`); the same cells as :func:`besieged_cells_reference`.
    """
    from simulation.rules import kernels

    return kernels.cut_off_cells(model.control, model.theatre.in_theatre, model.supplied_table)


def besieged_cells_reference(control, in_theatre, supplied) -> np.ndarray:
    """:func:`besieged_cells` of a map (numpy; the reference).

    Args:
        supplied: per faction, bool per cell linked to its sources (``model.supplied``).
    """
    linked = np.zeros(control.size, dtype=bool)
    for f in FACTIONS:
        linked |= (control == int(f)) & supplied[f]
    return np.flatnonzero(in_theatre & ~linked).astype(np.int32)


class UnitHistory:
    """Where each unit stood and how strong it was, day by day: two numbers per unit a day.

    Units are numbered in the order first seen (the model's order); a unit destroyed
    stands on cell -1 with no fighters from then on.

    Attributes:
        names: each unit's name, by number.
        factions: each unit's faction code, by number.
    """

    def __init__(self):
        self.names: list[str] = []
        self.factions: list[int] = []
        self._number: dict[int, int] = {}  # Mesa's unique_id -> number
        self._days: list[tuple[np.ndarray, np.ndarray]] = []

    def record(self, units: Sequence) -> None:
        """Add a day: each unit's flat cell index and fighters."""
        for u in units:
            if u.unique_id not in self._number:
                self._number[u.unique_id] = len(self.names)
                self.names.append(u.name)
                self.factions.append(int(u.faction))
        cell = np.full(len(self.names), -1, dtype=np.int32)
        strength = np.zeros(len(self.names), dtype=np.float32)
        number = [self._number[u.unique_id] for u in units]
        cell[number] = [u.k for u in units]
        strength[number] = [u.strength for u in units]
        self._days.append((cell, strength))

    def on(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Each unit's flat cell index (-1: not in the field) and fighters on a day, for every unit numbered."""
        cell, strength = self._days[step]
        missing = len(self.names) - cell.size  # units first seen later
        return np.pad(cell, (0, missing), constant_values=-1), np.pad(strength, (0, missing))


@dataclass(frozen=True)
class DayState:
    """One day of a run as the map shows it, over the theatre's cells in grid order.

    The same for a live model (:meth:`~simulation.inspection.RunInspection.day_state`)
    and a finished run's history file (:meth:`RunHistory.day_state`).
    """

    step: int
    date: dt.date
    control: np.ndarray  # faction code per theatre cell
    besieged: np.ndarray  # theatre cells (indices) cut off from their holder's supply sources
    unit_name: Sequence[str]  # every unit numbered, then per unit:
    unit_faction: np.ndarray  # its faction code
    unit_cell: np.ndarray  # the theatre cell (index) it stood on; -1 once destroyed
    unit_strength: np.ndarray  # its fighters
    line_in_force: bool  # the deconfliction line
    incidents: int  # SAA-SDF incidents so far


def theatre_index(tmap) -> np.ndarray:
    """Per grid cell, its index among the theatre's cells (-1 outside the theatre)."""
    index = np.full(tmap.n_cells, -1, dtype=np.int32)
    index[tmap.in_theatre] = np.arange(int(tmap.in_theatre.sum()), dtype=np.int32)
    return index


def last_recorded_day(model) -> int:
    """The last day whose record is whole: the step counter moves on as a day begins, the record at its end."""
    return len(model.line_history) - 1  # the last of a day's records to be kept


def model_day_state(model, step: int) -> DayState:
    """A recorded day of a live model as a :class:`DayState` (the step must have been run)."""
    index = theatre_index(model.theatre)
    cell, strength = model.unit_history.on(step)
    in_force, incidents = model.line_history[step]
    return DayState(step=step, date=day_of(model.spec.start, step),
                    control=model.control_history[step][model.theatre.in_theatre],
                    besieged=index[model.besieged_history[step]],
                    unit_name=model.unit_history.names,
                    unit_faction=np.array(model.unit_history.factions, dtype=np.int8),
                    unit_cell=np.where(cell >= 0, index[cell], -1), unit_strength=strength,
                    line_in_force=in_force, incidents=incidents)


# ---- the history file: a finished run's days, for ``run.py viz --replay`` --------------
HISTORY_FILE = "history.npz"
HISTORY_FORMAT = 1  # raised when the file's arrays change meaning
_DAY_ARRAYS = ("control", "besieged", "unit_cell", "unit_strength", "line_in_force", "incidents")


class HistoryError(ValueError):
    """A history file that cannot be read back: why, in one line."""


def write_history(model, path: str | Path) -> None:
    """Save every day of a run so far for ``run.py viz --replay`` (``np.savez_compressed``).

    Per day and theatre cell: the holder (int8) and whether besieged; per day and
    unit: its theatre cell (-1 once destroyed) and fighters; per day: the line's
    state. With them the units' names and factions and the run's metadata (scenario,
    seed, start date, cell size, the deconfliction line as the scenario draws it), so
    that the map needs neither the scenario file nor a new run: about 60 KB for 180
    days at 10 km.
    """
    tmap, days = model.theatre, model.steps + 1
    index = theatre_index(tmap)
    besieged = np.zeros((days, int(tmap.in_theatre.sum())), dtype=bool)
    for step, cells in enumerate(model.besieged_history):
        besieged[step, index[cells]] = True
    cells, strength = (np.stack(a) for a in zip(*(model.unit_history.on(step) for step in range(days))))
    line = model.rules.deconfliction.line
    meta = {"format": HISTORY_FORMAT, "scenario": model.spec.name, "seed": int(model.seed),
            "start": model.spec.start.isoformat(), "cell_km": float(tmap.cell_km),
            "factions": list(FACTION_NAMES),
            "deconfliction_line": line if isinstance(line, str) else [list(map(float, p)) for p in line]}
    np.savez_compressed(
        path, meta=np.array(json.dumps(meta)),
        control=np.stack(model.control_history)[:, tmap.in_theatre], besieged=besieged,
        unit_name=np.array(model.unit_history.names, dtype=str),
        unit_faction=np.array(model.unit_history.factions, dtype=np.int8),
        unit_cell=np.where(cells >= 0, index[cells], -1).astype(np.int32), unit_strength=strength,
        line_in_force=np.array([s for s, _ in model.line_history]),
        incidents=np.array([n for _, n in model.line_history], dtype=np.int32))


@dataclass(frozen=True)
class RunHistory:
    """A finished run's days, read back from its history file by :func:`read_history`.

    Attributes:
        scenario, seed, start, cell_km: the run's scenario name, seed, start date and cell size.
        deconfliction_line: ``"euphrates"`` or the line's lon/lat points, as in the scenario.
        control, besieged: per day (rows) and theatre cell, the holder and whether besieged.
        unit_name, unit_faction: per unit; unit_cell, unit_strength: per day and unit.
        line_in_force, incidents: per day, the deconfliction line's state.
    """

    scenario: str
    seed: int
    start: dt.date
    cell_km: float
    deconfliction_line: str | list
    control: np.ndarray
    besieged: np.ndarray
    unit_name: Sequence[str]
    unit_faction: np.ndarray
    unit_cell: np.ndarray
    unit_strength: np.ndarray
    line_in_force: np.ndarray
    incidents: np.ndarray

    @property
    def last_day(self) -> int:
        """The last day recorded (days since the start)."""
        return len(self.control) - 1

    def day_state(self, step: int) -> DayState:
        """Day ``step`` (0 = the start date) as a :class:`DayState`."""
        return DayState(step=step, date=day_of(self.start, step), control=self.control[step],
                        besieged=np.flatnonzero(self.besieged[step]), unit_name=self.unit_name,
                        unit_faction=self.unit_faction, unit_cell=self.unit_cell[step],
                        unit_strength=self.unit_strength[step], line_in_force=bool(self.line_in_force[step]),
                        incidents=int(self.incidents[step]))


def read_history(path: str | Path) -> RunHistory:
    """Read a history file written by :func:`write_history`, checking it is whole.

    Raises:
        HistoryError: the file is missing, not a history file, damaged or of another
            format, with the reason in one line.
    """
    path = Path(path)
    if not path.is_file():
        raise HistoryError(f"no {path.name} in {path.parent} (a run from before replays were saved, or not a "
                           "run folder): run it again with run.py run")
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in ("meta", "unit_name", "unit_faction", *_DAY_ARRAYS)}
        meta = json.loads(str(arrays.pop("meta")))
        if meta.get("format") != HISTORY_FORMAT:
            raise HistoryError(f"{path.name} is of format {meta.get('format')}; this version reads "
                               f"format {HISTORY_FORMAT}")
        history = RunHistory(scenario=str(meta["scenario"]), seed=int(meta["seed"]),
                             start=dt.date.fromisoformat(meta["start"]), cell_km=float(meta["cell_km"]),
                             deconfliction_line=meta["deconfliction_line"],
                             **{k: v for k, v in arrays.items() if k != "unit_name"},
                             unit_name=arrays["unit_name"].tolist())
    except HistoryError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError, EOFError, zipfile.BadZipFile) as exc:
        raise HistoryError(f"{path.name} is damaged ({type(exc).__name__}: {exc})".replace("\n", " ")) from None
    days, cells = history.control.shape if history.control.ndim == 2 else (0, 0)
    units = len(history.unit_name)
    shapes = {"control": (days, cells), "besieged": (days, cells), "unit_faction": (units,),
              "unit_cell": (days, units), "unit_strength": (days, units), "line_in_force": (days,),
              "incidents": (days,)}
    wrong = [name for name, shape in shapes.items() if getattr(history, name).shape != shape]
    if days == 0 or wrong or meta.get("factions") != list(FACTION_NAMES) \
            or not ((0 <= history.control) & (history.control < len(Faction))).all():
        raise HistoryError(f"{path.name} is damaged (its arrays do not fit together: "
                           f"{', '.join(wrong) or 'control codes or factions'})")
    return history


@dataclass(frozen=True)
class CityRings:
    """The cities of the places table and the cells of each one's ring (within :data:`CITY_RING_KM`)."""

    names: list[str]
    cells: np.ndarray  # every city's ring cells, city after city
    starts: np.ndarray  # where each city's cells begin in ``cells`` (a ring holds its centre: never empty)

    def insurgent_in(self, control: np.ndarray) -> np.ndarray:
        """Bool per city: the insurgent holds ground in its ring."""
        return np.logical_or.reduceat(control[self.cells] == int(INSURGENT), self.starts)


def city_rings(tmap) -> CityRings:
    """The cities in the places table and their rings: theatre cells within :data:`CITY_RING_KM`, and the centre."""
    cities = [p for p in tmap.geography.places if p.role == "city"]
    centres = np.array([tmap.place_cell[p.name] for p in cities], dtype=np.int64)
    theatre = np.flatnonzero(tmap.in_theatre)
    near = tmap.distance_km(centres, theatre) <= CITY_RING_KM
    rings = [np.union1d(theatre[row], [centre]) for row, centre in zip(near, centres.tolist())]
    starts = np.cumsum([0] + [ring.size for ring in rings[:-1]], dtype=np.int64)
    cells = np.concatenate(rings) if rings else np.zeros(0, np.int64)
    return CityRings([p.name for p in cities], cells, starts)


def note_cities_cleared(model, contested: np.ndarray) -> np.ndarray:
    """Log cities whose ring the insurgent (ISIS) has just lost entirely, or re-entered; returns today's state."""
    names = model.city_rings.names
    now = model.city_rings.insurgent_in(model.control)
    for i in np.flatnonzero(contested & ~now):
        holder = Faction(model.control[model.theatre.place_cell[names[i]]])
        model.event_log.append({"date": model.date.isoformat(), "step": model.steps, "event": "city_cleared",
                                "place": names[i], "faction": holder.name,
                                "detail": f"no ISIS ground within {CITY_RING_KM:g} km"})
    for i in np.flatnonzero(~contested & now):
        model.event_log.append({"date": model.date.isoformat(), "step": model.steps, "event": "isis_returns",
                                "place": names[i], "faction": INSURGENT.name,
                                "detail": f"ISIS ground again within {CITY_RING_KM:g} km"})
    return now


# The tables a run writes (``NAME.csv``): where a model keeps each one's rows, and its columns.
# A DataCollector table holds its columns; a log is a list of records (dicts).
TABLES = {"daily": ("datacollector", "daily", DAILY_COLUMNS),
          "daily_governorate": ("datacollector", "governorate", GOVERNORATE_COLUMNS),
          "events": ("log", "event_log", EVENT_COLUMNS),
          "strikes": ("log", "strike_log", STRIKE_COLUMNS)}


def plain_table(model, name: str) -> dict[str, list]:
    """One of a model's :data:`TABLES` as plain columns (name -> values; dates as ISO strings), without pandas.

    The same rows as the model's DataFrame of it (``model.daily``, ``model.daily_by_governorate``,
    ``model.events``, ``model.strikes``), which :func:`columns_frame` gives back.
    """
    kind, source, columns = TABLES[name]
    if kind == "datacollector":
        table = model.datacollector.tables[source]
        return {c: list(table[c]) for c in columns}
    return {c: [row.get(c) for row in getattr(model, source)] for c in columns}


def columns_frame(columns: dict[str, list]) -> pd.DataFrame:
    """A plain table (:func:`plain_table`) as a DataFrame with ``date`` parsed: the same as the model's own."""
    return as_frame([dict(zip(columns, row)) for row in zip(*columns.values())], list(columns))


def as_frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    """A DataFrame of records with ``date`` parsed as a calendar date."""
    import pandas as pd  # here: a run that writes its tables as CSV (simulation.export) never loads pandas

    frame = pd.DataFrame.from_records(records, columns=columns)
    if "date" in frame:
        frame["date"] = pd.to_datetime(frame["date"])
    return frame


def table_frame(model, name: str) -> pd.DataFrame:
    """A DataCollector table with ``date`` parsed."""
    import pandas as pd

    frame = model.datacollector.get_table_dataframe(name)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def day_of(start: dt.date, step: int) -> dt.date:
    """Calendar date of a step (step 0 is the start date)."""
    return start + dt.timedelta(days=int(step))
