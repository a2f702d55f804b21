"""Sweep sizes that mean what they say (issue 15): each refused in one line, exit 2, nothing written, at once.

A sweep counts its runs (points × replicates) from the sweep file alone and says so
before it draws or checks a point; 100,000 runs or more need ``--allow-large``, and
absurd sizes (1e9 samples, 2.5 replicates, true, an infinite range) are refused in
one line naming the key and its line in the sweep file.
"""

from __future__ import annotations

import pytest
from test_arguments import AT_ONCE_S, JULY, run_py

RANGE = "{low: 0, high: 52}"
PARAMETER = "air.russia.sorties_per_day"  # its line is named for a problem in its range


def sweep_text(**keys) -> str:
    """A sweep file of the July scenario, one key a line in this order (a key given None is left out)."""
    spec = {"scenario": JULY, "replicates": 1, "seed": 1, "days": 5, "cell_km": 20, "design": "lhs",
            "samples": 4, "parameters": None} | keys
    lines = [f"{key}: {value}" for key, value in spec.items() if value is not None and key != "parameters"]
    parameters = keys.get("parameters", {"air.russia.sorties_per_day": RANGE})
    return "\n".join(lines + ["parameters:"] + [f"  {k}: {v}" for k, v in parameters.items()]) + "\n"


def line_of(text: str, key: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.strip().startswith(f"{key}:"))


GRID_100 = "[" + ", ".join(str(26 + i / 100) for i in range(100)) + "]"

# (name, sweep file keys, the key its line names (None: the file alone), what the one line says)
CASES = [
    ("samples 100000 without --allow-large", {"samples": 100000}, None,
     "100,000 runs planned (100,000 points × 1 replicate); a sweep of 100,000 runs or more needs --allow-large"),
    ("replicates 100000 without --allow-large", {"design": "grid", "samples": None, "replicates": 100000,
                                                 "parameters": {"sdf.manpower": "[40000]"}}, None,
     "100,000 runs planned (1 point × 100,000 replicates)"),
    ("samples 1e9", {"samples": "1e9"}, "samples", "samples: must be at most 10,000,000, got 1000000000"),
    ("samples 1.0e+9", {"samples": "1.0e+9"}, "samples", "samples: must be at most 10,000,000"),
    ("replicates 1e9", {"replicates": "1e9"}, "replicates", "replicates: must be at most 10,000,000"),
    ("replicates 0", {"replicates": 0}, "replicates", "replicates: must be at least 1, got 0"),
    ("samples -1", {"samples": -1}, "samples", "samples: must be at least 1, got -1"),
    ("samples 2.5", {"samples": 2.5}, "samples", "samples: expected a whole number, got 2.5"),
    ("samples true", {"samples": "true"}, "samples", "samples: expected a whole number, got true"),
    ("samples .inf", {"samples": ".inf"}, "samples", "samples: expected a whole number, got .inf"),
    ("samples text", {"samples": "many"}, "samples", "samples: expected a whole number, got 'many'"),
    ("replicates false", {"replicates": "false"}, "replicates", "replicates: expected a whole number, got false"),
    ("high .inf", {"parameters": {"air.russia.sorties_per_day": "{low: 0, high: .inf}"}}, PARAMETER,
     "parameters.air.russia.sorties_per_day.high: must be a finite number, got .inf"),
    ("low .nan", {"parameters": {"air.russia.sorties_per_day": "{low: .nan, high: 5}"}}, PARAMETER,
     "parameters.air.russia.sorties_per_day.low: must be a finite number, got .nan"),
    ("low -.inf", {"parameters": {"air.russia.sorties_per_day": "{low: -.inf, high: 5}"}}, PARAMETER,
     "parameters.air.russia.sorties_per_day.low: must be a finite number, got -.inf"),
    ("low above high", {"parameters": {"air.russia.sorties_per_day": "{low: 50, high: 5}"}}, PARAMETER,
     "parameters.air.russia.sorties_per_day: low (50) must be below high (5)"),
    ("low equal to high", {"parameters": {"air.russia.sorties_per_day": "{low: 5, high: 5}"}}, PARAMETER,
     "low (5) must be below high (5)"),
    ("high 1e308", {"parameters": {"air.russia.sorties_per_day": "{low: 0, high: 1.0e+308}"}}, PARAMETER,
     "parameters.air.russia.sorties_per_day.high: must be between -1e15 and 1e15, got 1e+308"),
    ("high 1e308 as text", {"parameters": {"air.russia.sorties_per_day": "{low: 0, high: 1e308}"}}, PARAMETER,
     "high: must be between -1e15 and 1e15, got 1e+308"),
    ("high 1e400 (overflows)", {"parameters": {"air.russia.sorties_per_day": "{low: 0, high: 1e400}"}}, PARAMETER,
     "high: must be a finite number, got .inf"),
    ("low true", {"parameters": {"air.russia.sorties_per_day": "{low: true, high: 5}"}}, PARAMETER,
     "parameters.air.russia.sorties_per_day.low: expected a number, got true"),
    ("a number, not a list or range", {"parameters": {"air.russia.sorties_per_day": "26"}}, PARAMETER,
     "parameters.air.russia.sorties_per_day: expected a list of values or a {low, high} range, got 26"),
    ("sobol past 10 million runs", {"design": "sobol", "samples": 2 ** 23}, None,  # N (1 + 2) points
     "25,165,824 runs planned (25,165,824 points × 1 replicate): more than a sweep may hold (10,000,000 runs)"),
    ("grid of 10 billion points", {"design": "grid", "samples": None,
                                   "parameters": {f"rules.combat.{k}": GRID_100 for k in
                                                  ("noise_sd", "urban_defence", "river_defence", "hold_defence",
                                                   "break_ratio")}}, None,
     "10,000,000,000 runs planned (10,000,000,000 points × 1 replicate): more than a sweep may hold"),
    ("days past the scenario's end", {"days": 100000}, "days",
     "days: 100,000 is past the scenario's end (2017-12-31, 180 days after its start); run at most 180"),
    ("days 1e9", {"days": "1e9"}, "days", "days: 1,000,000,000 is past the scenario's end"),
    ("days 1.5", {"days": 1.5}, "days", "days: expected a whole number, got 1.5"),
]


@pytest.mark.parametrize("keys, key, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_in_one_line_at_once_with_nothing_written(tmp_path, keys, key, message):
    text = sweep_text(**keys)
    (tmp_path / "sweep.yaml").write_text(text, encoding="utf-8")
    code, lines, seconds = run_py("sweep", "sweep.yaml", "--out", "out", cwd=tmp_path)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("run.py: error: sweep.yaml") and message in lines[0], lines
    if key is not None:  # the line of the key in the sweep file
        assert lines[0].startswith(f"run.py: error: sweep.yaml:{line_of(text, key)}: "), lines
    assert "Traceback" not in lines[0] and len(lines[0]) < 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"], "nothing is written"
    assert seconds < AT_ONCE_S  # each takes a second or two here


def test_a_good_sweep_says_how_many_runs_it_plans_before_checking_them(tmp_path):
    text = sweep_text(design="grid", samples=None, replicates=2,
                      parameters={"air.russia.sorties_per_day": "[0, 13, 26, 39]"})
    (tmp_path / "sweep.yaml").write_text(text, encoding="utf-8")
    code, lines, _ = run_py("sweep", "sweep.yaml", "--dry-run", cwd=tmp_path)
    assert code == 0, lines
    assert lines == ["run.py: 8 runs planned (4 points × 2 replicates); checking each point"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"], "a dry run writes nothing"


def test_allow_large_lets_a_large_sweep_past_its_count(tmp_path):
    text = sweep_text(design="grid", samples=None, replicates=100000, parameters={"sdf.manpower": "[40000]"})
    (tmp_path / "sweep.yaml").write_text(text, encoding="utf-8")
    code, lines, seconds = run_py("sweep", "sweep.yaml", "--dry-run", "--allow-large", "--out", "out", cwd=tmp_path)
    assert code == 0, lines
    assert lines == ["run.py: 100,000 runs planned (1 point × 100,000 replicates); checking each point"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"], "a dry run writes nothing"
    assert seconds < 30  # 100,000 seeds derived (a few seconds); a hang is the bug


def test_a_dry_run_finds_a_bad_point_as_a_real_sweep_would(tmp_path):
    text = sweep_text(design="grid", samples=None, parameters={"sdf.manpower": "[40000, -5]"})
    (tmp_path / "sweep.yaml").write_text(text, encoding="utf-8")
    code, lines, _ = run_py("sweep", "sweep.yaml", "--dry-run", cwd=tmp_path)
    assert code == 2, lines
    assert lines[0] == "run.py: 2 runs planned (2 points × 1 replicate); checking each point"
    assert lines[1:] == ["run.py: error: sweep.yaml: point 1 (sdf.manpower=-5): --set sdf.manpower: "
                         "must be a number ≥ 0, got -5"]


def test_out_is_needed_unless_it_is_a_dry_run(tmp_path):
    (tmp_path / "sweep.yaml").write_text(sweep_text(), encoding="utf-8")
    code, lines, _ = run_py("sweep", "sweep.yaml", cwd=tmp_path)
    assert code == 2 and len(lines) == 1 and lines[0].startswith("run.py: error: --out: required"), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"]
