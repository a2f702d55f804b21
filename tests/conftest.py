"""Shared fixtures: the real scenario and small, fast real models."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation import ConflictModel, load_scenario

ROOT = Path(__file__).resolve().parents[1]
JULY = ROOT / "scenarios" / "2017-07-04_raqqa.yaml"


@pytest.fixture(scope="session")
def july():
    """The 4 July 2017 scenario, validated."""
    return load_scenario(JULY)


@pytest.fixture
def short_run(july):
    """A 20 km model of the July scenario run for 30 days."""
    return ConflictModel(july, seed=3, cell_km=20).run(days=30)
