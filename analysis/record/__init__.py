"""The sourced record of the 2017 campaign, and its split into training and test.

``record_2017.yaml`` beside this module holds dated events at places on the model's
map, compiled from public reporting (each with its sources and a confidence): places
taken, sieges formed and broken, cities cleared, incidents, and reported quantities.
:func:`load_record` reads and checks it; every event says whether the model may be
fitted to it (training) or only scored on it (test).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from simulation.geography import load_geography

RECORD_FILE = Path(__file__).with_name("record_2017.yaml")
PERIOD = (dt.date(2017, 7, 4), dt.date(2017, 12, 31))
FACTIONS = ("ISIS", "SAA", "SDF", "ISF")
AIR_ARMS = ("COALITION", "RUSSIA")
KINDS = ("captured", "siege_broken", "siege_formed", "city_cleared", "incident", "quantity")
MEASURES = ("share_of_city", "isis_fighters", "share_of_governorate")
CONFIDENCE = ("high", "medium", "low")
SPLITS = ("training", "test")


class RecordError(ValueError):
    """A malformed entry of the record: one line naming the entry and what is wrong."""


@dataclass(frozen=True)
class Source:
    """Where a fact was reported."""

    publication: str
    date: dt.date
    url: str = ""


@dataclass(frozen=True)
class RecordEvent:
    """One dated event of the record.

    Attributes:
        id: a unique name.
        earliest, latest: the date, or the range of dates the sources give.
        place: a place of the model's places table.
        faction: the captor, the besieged side, the side that struck, or the side a
            quantity is about (a ground faction, or COALITION / RUSSIA for air incidents).
        kind: captured, siege_broken, siege_formed, city_cleared, incident or quantity.
        split: training (the model may be fitted to it) or test (only scored).
        confidence: high, medium or low.
        sources: the reports it rests on.
        note: what happened, in a line.
        against: for an incident, the side struck.
        measure: for a quantity, what was measured (share_of_city, isis_fighters,
            share_of_governorate).
        low, high: for a quantity, its value or the range the sources give.
    """

    id: str
    earliest: dt.date
    latest: dt.date
    place: str
    faction: str
    kind: str
    split: str
    confidence: str
    sources: tuple[Source, ...]
    note: str = ""
    against: str = ""
    measure: str = ""
    low: float | None = None
    high: float | None = None

    @property
    def date(self) -> dt.date:
        """The middle of the reported range (the date itself when the sources agree)."""
        return self.earliest + (self.latest - self.earliest) // 2

    @property
    def value(self) -> float | None:
        """A quantity's reported value: the middle of its range."""
        return None if self.low is None else (self.low + self.high) / 2


def load_record(path: str | Path = RECORD_FILE, places=None) -> tuple[RecordEvent, ...]:
    """The record's events in date order, checked.

    Args:
        path: the record file (default the shipped one).
        places: names a place may have (default the model's places table).

    Raises:
        RecordError: the first malformed entry, in one line.
    """
    if places is None:
        places = {p.name for p in load_geography().places}
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise RecordError(f"{path}: expected a list of events")
    events, ids = [], set()
    for i, entry in enumerate(entries):
        event = _event(entry, f"{Path(path).name}: entry {i}", set(places))
        if event.id in ids:
            raise RecordError(f"{Path(path).name}: {event.id}: the id is given twice")
        ids.add(event.id)
        events.append(event)
    return tuple(sorted(events, key=lambda e: (e.earliest, e.id)))


def _event(entry, where: str, places: set[str]) -> RecordEvent:
    """One entry as a checked event."""
    if not isinstance(entry, dict) or "id" not in entry:
        raise RecordError(f"{where}: expected a mapping with an id")
    where = f"{where.split(':')[0]}: {entry['id']}"
    earliest, latest = _dates(entry.get("date"), where)
    checks = [(entry.get("place") in places, f"place {entry.get('place')!r} is not on the map"),
              (entry.get("faction") in FACTIONS + AIR_ARMS, f"unknown faction {entry.get('faction')!r}"),
              (entry.get("kind") in KINDS, f"unknown kind {entry.get('kind')!r}"),
              (entry.get("split") in SPLITS, f"split must be one of {', '.join(SPLITS)}"),
              (entry.get("confidence") in CONFIDENCE, f"confidence must be one of {', '.join(CONFIDENCE)}"),
              (PERIOD[0] <= earliest <= latest <= PERIOD[1],
               f"date {earliest}..{latest} is not an ordered range inside {PERIOD[0]}..{PERIOD[1]}")]
    for ok, problem in checks:
        if not ok:
            raise RecordError(f"{where}: {problem}")
    sources = tuple(_source(s, where) for s in entry.get("sources") or [])
    if not sources:
        raise RecordError(f"{where}: needs at least one source")
    low = high = None
    if entry["kind"] == "quantity":
        if entry.get("measure") not in MEASURES:
            raise RecordError(f"{where}: a quantity needs a measure, one of {', '.join(MEASURES)}")
        low, high = (entry["value"], entry["value"]) if "value" in entry else (entry.get("low"), entry.get("high"))
        if not all(isinstance(x, (int, float)) for x in (low, high)) or low > high:
            raise RecordError(f"{where}: a quantity needs a value, or low <= high")
    if entry["kind"] == "incident" and entry.get("against") not in FACTIONS + AIR_ARMS:
        raise RecordError(f"{where}: an incident needs the side struck (against)")
    return RecordEvent(id=str(entry["id"]), earliest=earliest, latest=latest, place=entry["place"],
                       faction=entry["faction"], kind=entry["kind"], split=entry["split"],
                       confidence=entry["confidence"], sources=sources, note=str(entry.get("note", "")),
                       against=entry.get("against", ""), measure=entry.get("measure", ""),
                       low=None if low is None else float(low), high=None if high is None else float(high))


def _dates(value, where: str) -> tuple[dt.date, dt.date]:
    """A date, or an {earliest, latest} range, as a pair of dates."""
    if isinstance(value, dict) and set(value) == {"earliest", "latest"}:
        value = (value["earliest"], value["latest"])
    elif isinstance(value, dt.date):
        value = (value, value)
    if not (isinstance(value, tuple) and all(isinstance(d, dt.date) for d in value)):
        raise RecordError(f"{where}: date must be YYYY-MM-DD or {{earliest: ..., latest: ...}}")
    return value


def _source(source, where: str) -> Source:
    """A source entry as a :class:`Source`."""
    if not (isinstance(source, dict) and source.get("publication") and isinstance(source.get("date"), dt.date)):
        raise RecordError(f"{where}: each source needs a publication and a date")
    return Source(str(source["publication"]), source["date"], str(source.get("url", "")))
