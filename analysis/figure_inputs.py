"""What a run hands its figures besides its tables: plain titles and the besieged cells.

Free of matplotlib, so that ``run.py run`` builds them in its own process (which never
loads matplotlib) while the plot helper draws; :mod:`analysis.plots` uses them too.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

# "4 July 2017: the battle for Raqqa", "4 July 2017, no Russian air support": the
# scenario's start date leads its name; the figures say the date once, on their own.
_LEADING_DATE = re.compile(r"^\s*\d{1,2}\s+[A-Za-z]+\s+\d{4}\s*[:,;]\s*")
LABEL_MAX_CHARS = 48


def day_text(date) -> str:
    """A date as the figures write it: ``31 Dec 2017`` (no leading zero on any platform)."""
    date = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date)[:10])
    return f"{date.day} {date:%b %Y}"


def day_month(date) -> str:
    """A date without its year, as the figures write it inside one year: ``4 Jul``."""
    date = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date)[:10])
    return f"{date.day} {date:%b}"


def scenario_label(name: str, start: dt.date | None = None) -> str:
    """A short name for a scenario: its name without the leading start date, then ``from 4 Jul``.

    ``"4 July 2017: the battle for Raqqa"`` gives ``"The battle for Raqqa, from 4 Jul"``;
    a name that does not start with a date is kept (cut to :data:`LABEL_MAX_CHARS`).

    Args:
        name: the scenario's ``name``.
        start: its start date; named after the label when given.
    """
    label = _LEADING_DATE.sub("", name).strip() or name.strip()
    if len(label) > LABEL_MAX_CHARS:
        label = label[:LABEL_MAX_CHARS - 1].rstrip() + "…"
    label = label[:1].upper() + label[1:]
    return label if start is None else f"{label}, from {day_month(start)}"


def map_title(date, name: str, seed: int | None = None, start: dt.date | None = None,
              day: int | None = None) -> str:
    """``Control on 31 Dec 2017 · The battle for Raqqa, from 4 Jul · seed 1``: one date, the scenario, the seed.

    Args:
        date: the day the map shows.
        name: the scenario's name.
        seed: the run's seed; left out if None.
        start: the scenario's start date (see :func:`scenario_label`).
        day: days since the start, written after the date when given: ``(day 30)``.
    """
    parts = [f"Control on {day_text(date)}" + ("" if day is None else f" (day {day})"),
             scenario_label(name, start)]
    return " · ".join(parts + ([] if seed is None else [f"seed {seed}"]))


def territory_title(name: str, seed: int | None = None, start: dt.date | None = None) -> str:
    """``Ground held · The battle for Raqqa, from 4 Jul · seed 1``.

    Args:
        name: the scenario's name.
        seed: the run's seed; left out if None.
        start: the scenario's start date (see :func:`scenario_label`).
    """
    parts = ["Ground held", scenario_label(name, start)]
    return " · ".join(parts + ([] if seed is None else [f"seed {seed}"]))


def besieged_cells(model, step: int | None = None) -> np.ndarray:
    """Flat bool mask of the theatre cells cut off from their holder's supply on a day.

    The cells the model recorded as besieged that day (``model.besieged_history``), the
    same the browser map marks: held ground that no path through its holder's ground
    links to the holder's supply sources.

    Args:
        model: a :class:`~simulation.model.ConflictModel`.
        step: the day (days since the start); default the model's latest.
    """
    mask = np.zeros(model.theatre.n_cells, dtype=bool)
    mask[model.besieged_history[model.steps if step is None else step]] = True
    return mask