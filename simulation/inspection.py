"""What a notebook asks of a run: its tables, the map on any day, a place's holder, a faction's state.

:class:`RunInspection` is mixed into :class:`~simulation.model.ConflictModel`; it only
reads the model's records and never changes the run.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from simulation import records
from simulation.faction_state import FactionState
from simulation.factions import Faction
from simulation.scenario import did_you_mean

ENGAGEMENT_COLUMNS = ["date", "step", "attacker", "defender", "lat", "lon", "attackers", "defenders",
                      "attackers_after", "defenders_after", "defence_broke"]


class RunInspection:
    """Read-only views of a run: tidy tables, past maps, places and factions."""

    @property
    def date(self) -> dt.date:
        """Calendar date of the current step."""
        known = getattr(self, "_date_on", None)  # (step, date): every log entry of the day asks for it
        if known is None or known[0] != self.steps:
            known = self._date_on = (self.steps, records.day_of(self.spec.start, self.steps))
        return known[1]

    @property
    def daily(self):
        """Tidy DataFrame: one row per faction per day (area, strength, overstretch...)."""
        return records.table_frame(self, "daily")

    @property
    def daily_by_governorate(self):
        """Tidy DataFrame: one row per faction, governorate and day."""
        return records.table_frame(self, "governorate")

    @property
    def events(self):
        """DataFrame of events: date, step, event, place, faction, detail."""
        return records.as_frame(self.event_log, records.EVENT_COLUMNS)

    @property
    def strikes(self):
        """DataFrame of air strikes: date, air arm, target cell centre, target faction, count."""
        return records.as_frame(self.strike_log, records.STRIKE_COLUMNS)

    @property
    def engagements(self):
        """DataFrame of the fights: date, attacker, defender, cell, strengths before and after."""
        return records.as_frame(self.engagement_log, ENGAGEMENT_COLUMNS)

    def control_on(self, day: int | str | dt.date | None = None) -> np.ndarray:
        """The control map on a day: a flat array of faction codes per cell (read-only).

        Args:
            day: days since the start (0 = the start date), a date, or an ISO date
                string (``"2017-09-05"``); default today. Days not yet run are refused.
        """
        return self.control_history[self._day_run(day)]

    def day_state(self, day: int | str | dt.date | None = None) -> records.DayState:
        """A day as the map shows it: holders, besieged cells, units and the line, over the theatre's cells.

        Args:
            day: as in :meth:`control_on`; default today.
        """
        return records.model_day_state(self, self._day_run(day))

    def _day_run(self, day) -> int:
        """Days since the start of ``day`` (default today), refusing days not yet run."""
        step = self.steps if day is None else self.step_of(day)
        if not 0 <= step <= self.steps:
            raise ValueError(f"day {day}: the run covers {self.spec.start} (day 0) to {self.date} "
                             f"(day {self.steps})")
        return step

    def step_of(self, day: int | str | dt.date) -> int:
        """Days since the start of a day given as a number, a date or an ISO date string."""
        if isinstance(day, (int, np.integer)):
            return int(day)
        date = dt.date.fromisoformat(day) if isinstance(day, str) else day
        return (date - self.spec.start).days

    def control_at(self, place: str, day: int | str | dt.date | None = None) -> Faction:
        """The faction holding a named place's cell today (or on an earlier day).

        Args:
            place: a name or alias from the places table (``"Raqqa"``, ``"Abu Kamal"``).
            day: as in :meth:`control_on`; default today.

        Raises:
            ValueError: the place is not in the places table (with the nearest name).
        """
        geo = self.theatre.geography
        try:
            name = geo.place(place).name
        except KeyError:
            names = [n for p in geo.places for n in (p.name, *p.aliases)]
            raise ValueError(f"unknown place '{place}'{did_you_mean(place, names)}") from None
        return Faction(int(self.control_on(day)[self.theatre.place_cell[name]]))

    def faction(self, name: str | Faction) -> FactionState:
        """A snapshot of one faction today: ground, fighters, garrison need, overstretch.

        Args:
            name: ``"SDF"``, ``"sdf"`` or :class:`Faction`.SDF.
        """
        return FactionState.of(self, name if isinstance(name, Faction) else Faction.from_key(name))

    def __repr__(self) -> str:
        lines = [f"ConflictModel: {self.spec.name}; seed {self.seed}, {self.theatre.cell_km:g} km cells",
                 f"  {self.date:%d %B %Y}: day {self.steps} of {self.spec.days}"]
        for f in Faction:
            units = self.units_of(f)
            lines.append(f"  {f.name:<5}{self.area_held(f):>10,.0f} km²{len(units):>5} units "
                         f"{sum(u.strength for u in units):>9,.0f} fighters in units")
        state = self.deconfliction
        lines.append("  deconfliction " + (f"in force ({state.incidents} incidents)" if state.in_force
                                           else f"not in force (since day {state.broken_on_step})"))
        lines.append(f"  {len(self.event_log)} events; model.events, model.daily, model.faction('SDF')")
        return "\n".join(lines)
