"""A finished run read back from its folder, for ``run.py viz --replay DIR``.

A replay shows a result without running it again: every day's map comes from the
run's ``history.npz`` (:func:`simulation.records.read_history`), the charts from
its ``daily.csv`` and ``strikes.csv``, the event feed from its ``events.csv``. The
theatre's grid is rebuilt from the shipped geography at the run's cell size; no
scenario file is read and nothing steps.
"""

from __future__ import annotations

import csv
from pathlib import Path

from simulation.records import HISTORY_FILE, HistoryError, read_history
from simulation.theatre import theatre_map
from viz.map_data import static_layers

TABLES = ("daily.csv", "events.csv", "strikes.csv")


class ReplayError(ValueError):
    """A folder that cannot be replayed: why, in one line."""


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class Replay:
    """A run folder's days, tables and events, read once and checked (read-only).

    Args:
        folder: a folder written by ``run.py run``.

    Attributes:
        folder: the folder, as given.
        history: the run's :class:`~simulation.records.RunHistory`.
        theatre: the grid at the run's cell size.
        daily: ``daily.csv`` as columns (one row per faction per day), as the charts read it.
        event_log, strike_log: ``events.csv`` and ``strikes.csv`` as records.

    Raises:
        ReplayError: no such folder, no history file (a run from before replays were
            saved), or a file missing, damaged or not of this run.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise ReplayError("no such folder" if not self.folder.exists() else "not a folder")
        try:
            self.history = read_history(self.folder / HISTORY_FILE)
        except HistoryError as exc:
            raise ReplayError(str(exc)) from None
        self.theatre = theatre_map(self.history.cell_km)
        if int(self.theatre.in_theatre.sum()) != self.history.control.shape[1]:
            raise ReplayError(f"{HISTORY_FILE} was written on another map ({self.history.control.shape[1]} "
                              f"theatre cells at {self.history.cell_km:g} km; this version has "
                              f"{int(self.theatre.in_theatre.sum())}): run it again with run.py run")
        missing = [name for name in TABLES if not (self.folder / name).is_file()]
        if missing:
            raise ReplayError(f"no {', '.join(missing)} beside {HISTORY_FILE}: not a whole run folder")
        try:
            rows = _read_csv(self.folder / "daily.csv")
            self.daily = {column: [row[column] for row in rows] for column in rows[0]} if rows else {}
            self.event_log = _read_csv(self.folder / "events.csv")
            self.strike_log = _read_csv(self.folder / "strikes.csv")
            days = len(set(self.daily.get("date", [])))
            for event in self.event_log:
                event["step"] = int(event["step"])
        except (OSError, UnicodeDecodeError, csv.Error, KeyError, ValueError) as exc:
            raise ReplayError(f"a table is damaged ({type(exc).__name__}: {exc})") from None
        if days != self.last_day + 1 or "overstretch" not in self.daily:
            raise ReplayError(f"daily.csv holds {days} days, {HISTORY_FILE} {self.last_day + 1}: "
                              "not the same run")

    @property
    def last_day(self) -> int:
        """The run's last day (days since its start)."""
        return self.history.last_day

    def layers(self) -> dict:
        """The map's fixed layers (:func:`viz.map_data.static_layers`) for this run."""
        return static_layers(self.theatre, self.history.deconfliction_line)

    def describe(self) -> str:
        """What is replayed, in one line: the folder, scenario, seed, cell size and dates."""
        h = self.history
        start, end = (f"{d.day} {d:%B %Y}" for d in (h.start, h.day_state(self.last_day).date))
        return (f"Replay of {self.folder} (read-only): {h.scenario}, seed {h.seed}, {h.cell_km:g} km cells, "
                f"{start} to {end} ({self.last_day} days)")
