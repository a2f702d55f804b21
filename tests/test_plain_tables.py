"""A run's tables written without pandas are the files pandas writes, byte for byte; and a
summary drawn up from plain columns (as in another process) is the model's own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis.run_summary import SUMMARY_TABLES, run_facts, run_summary, summary_of
from simulation.export import write_csv, write_tables
from simulation.records import TABLES, columns_frame, plain_table

FRAMES = {"daily": "daily", "daily_governorate": "daily_by_governorate", "events": "events", "strikes": "strikes"}


def test_the_model_tables_as_plain_columns_are_its_dataframes(short_run):
    for name, attribute in FRAMES.items():
        assert_frame_equal(columns_frame(plain_table(short_run, name)), getattr(short_run, attribute),
                           check_exact=True)


def test_write_tables_writes_what_pandas_writes(short_run, tmp_path):
    written = write_tables(short_run, tmp_path / "plain")
    assert [p.name for p in written] == [f"{name}.csv" for name in TABLES]
    for name, attribute in FRAMES.items():
        frame = write_csv(getattr(short_run, attribute), tmp_path / "pandas" / f"{name}.csv")
        assert (tmp_path / "plain" / f"{name}.csv").read_bytes() == frame.read_bytes(), name


def test_a_model_before_its_first_day_writes_empty_logs_as_pandas_does(july, tmp_path):
    from simulation import ConflictModel

    model = ConflictModel(july, seed=1, cell_km=20)
    write_tables(model, tmp_path)
    for name in ("events", "strikes"):
        frame = write_csv(getattr(model, FRAMES[name]), tmp_path / f"pandas_{name}.csv")
        assert (tmp_path / f"{name}.csv").read_bytes() == frame.read_bytes()


@pytest.mark.parametrize("columns", [
    {"date": ["2017-07-04", "2017-07-05"], "n": [1, np.int64(2)], "x": [0.1 + 0.2, 1e16]},
    {"ints_and_floats": [1, 2.5, -0.0], "ints_and_gaps": [1, None, 3], "nan": [float("nan"), 1.0, np.inf]},
    {"text": ["plain", "a, comma", 'a "quote"'], "gaps": [None, "x", float("nan")], "bools": [True, False, True]},
    {"mixed": [1, "a", 2.5], "bool_and_int": [True, 1, np.bool_(False)], "all_gaps": [None, None, None]},
    {"line": ["two\nlines", "", " lead"], "tiny": [5e-324, 1e-5, 123456789.0], "big": [2**40, -3, 0]},
    {"date": [], "step": []},
], ids=["numbers", "gaps", "text", "mixed", "odd-text", "empty"])
def test_plain_values_are_written_as_pandas_writes_them(columns, tmp_path):
    plain = write_csv(columns, tmp_path / "plain.csv")
    frame = pd.DataFrame(columns)
    if "date" in frame:
        frame["date"] = pd.to_datetime(frame["date"])
    assert plain.read_bytes() == write_csv(frame, tmp_path / "pandas.csv").read_bytes()


@pytest.mark.parametrize("columns", [
    {"float32": [np.float32(0.1), np.float32(2.5)]},
    {"date": ["4 July 2017", "5 July 2017"]},
    {"when": [pd.Timestamp("2017-07-04"), pd.Timestamp("2017-07-05")]},
], ids=["float32", "not-iso-date", "timestamps"])
def test_values_that_are_not_plain_go_through_pandas(columns, tmp_path):
    plain = write_csv(columns, tmp_path / "plain.csv")
    assert plain.read_bytes() == write_csv(columns_frame(columns), tmp_path / "pandas.csv").read_bytes()


def test_a_summary_from_plain_columns_is_the_models(short_run):
    tables = {name: plain_table(short_run, name) for name in SUMMARY_TABLES}
    files = ["daily.csv", "summary.json"]
    assert summary_of(run_facts(short_run), tables, 3, files) == run_summary(short_run, 3, files)
