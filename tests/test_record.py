"""The sourced record of 2017: well formed, on the map, split before any fitting."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from analysis.record import (AIR_ARMS, FACTIONS, KINDS, PERIOD, RECORD_FILE, RecordError, load_record)
from simulation.geography import load_geography


@pytest.fixture(scope="module")
def record():
    return load_record()


def test_the_record_has_forty_sourced_events_or_more(record):
    assert len(record) >= 40
    assert len({e.id for e in record}) == len(record)
    for e in record:
        assert e.sources and all(s.publication and isinstance(s.date, dt.date) for s in e.sources), e.id


def test_every_event_is_on_the_map_with_a_known_faction_in_the_period(record):
    places = {p.name for p in load_geography().places}
    for e in record:
        assert e.place in places, e.id
        assert e.faction in FACTIONS + AIR_ARMS and e.kind in KINDS, e.id
        assert PERIOD[0] <= e.earliest <= e.latest <= PERIOD[1], e.id
        assert e.earliest <= e.date <= e.latest


def test_the_split_is_fixed_in_the_file_and_both_parts_cover_the_campaign(record):
    training = [e for e in record if e.split == "training"]
    test = [e for e in record if e.split == "test"]
    assert len(training) + len(test) == len(record) and len(test) >= 15 and len(training) >= 15
    for part in (training, test):  # each part reaches from the summer into the winter
        assert min(e.date for e in part) < dt.date(2017, 9, 5) < max(e.date for e in part)
    # The events the model was calibrated on before the record existed are training, not test.
    seen = {"deir_ez_zor_siege_broken", "raqqa_city_cleared", "deir_ez_zor_city_cleared", "al_qaim_captured",
            "deir_ez_zor_governorate_isis_share_nov3"}
    assert {e.id: e.split for e in record if e.id in seen} == dict.fromkeys(seen, "training")


def test_quantities_and_incidents_carry_what_they_need(record):
    for e in record:
        if e.kind == "quantity":
            assert e.measure and e.low is not None and e.low <= e.high, e.id
            if e.measure != "isis_fighters":
                assert 0.0 <= e.low <= e.high <= 1.0, e.id
        if e.kind == "incident":
            assert e.against and e.against != e.faction, e.id


def entry(**changes):
    base = {"id": "x", "date": dt.date(2017, 10, 17), "place": "Raqqa", "faction": "SDF", "kind": "captured",
            "split": "test", "confidence": "high", "note": "n",
            "sources": [{"publication": "Reuters", "date": dt.date(2017, 10, 17)}]}
    return {**base, **changes}


@pytest.mark.parametrize("changes, message", [
    ({"place": "Raqa"}, "place 'Raqa' is not on the map"),
    ({"faction": "PKK"}, "unknown faction 'PKK'"),
    ({"kind": "battle"}, "unknown kind 'battle'"),
    ({"date": dt.date(2016, 1, 1)}, "is not an ordered range inside"),
    ({"date": {"earliest": dt.date(2017, 10, 20), "latest": dt.date(2017, 10, 17)}}, "is not an ordered range"),
    ({"sources": []}, "needs at least one source"),
    ({"sources": [{"publication": "Reuters"}]}, "each source needs a publication and a date"),
    ({"split": "validation"}, "split must be one of training, test"),
    ({"kind": "quantity", "measure": "share_of_city"}, "a quantity needs a value"),
    ({"kind": "incident"}, "an incident needs the side struck"),
])
def test_a_malformed_entry_is_named_in_one_line(tmp_path, changes, message):
    path = tmp_path / "record.yaml"
    path.write_text(yaml.safe_dump([entry(**changes)]), encoding="utf-8")
    with pytest.raises(RecordError, match=message) as err:
        load_record(path)
    assert str(err.value).startswith("record.yaml: x: ") and "\n" not in str(err.value)


def test_the_shipped_file_is_the_default():
    assert RECORD_FILE.name == "record_2017.yaml" and RECORD_FILE.is_file()
