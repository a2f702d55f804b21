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


def _started_by_the_suite(before: set[int]) -> list:
    """Processes still alive that this test session started: children of this process, and
    orphans (a server whose parent was stopped) that ran this project's code."""
    import os

    import psutil

    me = psutil.Process(os.getpid())
    mine = {p.pid for p in me.children(recursive=True)}
    # multiprocessing's resource tracker, started by this process for its spawned pools,
    # lives exactly as long as this process: it is not left behind.
    ours = {p.pid for p in me.children() if "multiprocessing.resource_tracker" in " ".join(p.cmdline())}
    left = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            if p.pid == me.pid or p.pid in ours or p.pid in before:
                continue
            cmdline = " ".join(p.info["cmdline"] or [])
            if p.pid in mine or str(ROOT) in cmdline:
                if p.status() != psutil.STATUS_ZOMBIE:
                    left.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return left


@pytest.fixture(scope="session", autouse=True)
def no_process_outlives_the_suite():
    """Fail the suite if any process it started (a server, a worker, a run) is still alive at its end.

    Processes get a few seconds to finish exiting first; any still there are named, then killed.
    (A process of this project that someone starts by hand while the suite runs counts too.)
    """
    import psutil

    before = set(psutil.pids())
    yield
    left = _started_by_the_suite(before)
    _, left = psutil.wait_procs(left, timeout=10)
    if left:
        names = [" ".join(p.cmdline())[:120] for p in left]
        for p in left:
            p.kill()
        pytest.fail(f"{len(left)} process(es) the test suite started are still alive: {names}")
