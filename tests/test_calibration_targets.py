"""The July 2017 baseline against the record over 20 seeds: the issue's calibration targets.

Runs the real command line (``run.py calibrate``), then checks each target from the
runs it wrote; the report's own PASS/FAIL must agree.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from analysis.calibration import targets_met
from conftest import JULY, ROOT

pytestmark = pytest.mark.slow

TARGETS = ["siege_broken", "raqqa_before_deir_ez_zor", "deir_ez_zor_cleared", "al_qaim_falls",
           "isis_share_deir_ez_zor"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration") / "july"
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "calibrate", str(JULY), "--seeds", "20",
                           "--workers", "2", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def targets(report):
    runs = pd.read_csv(report / "runs.csv")
    assert len(runs) == 20 and runs.seed.nunique() == 20
    return targets_met(runs)


@pytest.mark.parametrize("target", TARGETS)
def test_calibration_target_is_met(targets, target):
    assert targets[target], target


def test_report_says_every_target_passes(report):
    text = (report / "calibration.md").read_text()
    assert "5 of 5 met" in text and "FAIL" not in text
