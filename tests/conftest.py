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


# Every process the suite starts inherits this mark in its environment (a server whose
# parent was stopped, and so reparented, keeps it too), so the check at the end finds
# exactly this session's processes, not those of a session running beside it.
SESSION_MARK = "EUPHRATES2017_TEST_SESSION"


def _started_by_the_suite(mark: str) -> list:
    """Processes still alive that carry this session's mark, other than this process and
    multiprocessing's resource tracker (which lives exactly as long as this process)."""
    import os

    import psutil

    me = psutil.Process(os.getpid())
    ours = {p.pid for p in me.children() if "multiprocessing.resource_tracker" in " ".join(p.cmdline())}
    left = []
    for p in psutil.process_iter(["pid"]):
        try:
            if p.pid == me.pid or p.pid in ours or p.environ().get(SESSION_MARK) != mark:
                continue
            if p.status() != psutil.STATUS_ZOMBIE:
                left.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return left


@pytest.fixture(scope="session", autouse=True)
def no_process_outlives_the_suite():
    """Fail the suite if any process it started (a server, a worker, a run) is still alive at its end.

    Processes get a few seconds to finish exiting first; any still there are named, then killed.
    """
    import os

    import psutil

    mark = os.environ[SESSION_MARK] = f"{os.getpid()}-{os.urandom(4).hex()}"
    yield
    left = _started_by_the_suite(mark)
    _, left = psutil.wait_procs(left, timeout=10)
    if left:
        names = [" ".join(p.cmdline())[:120] for p in left]
        for p in left:
            p.kill()
        pytest.fail(f"{len(left)} process(es) the test suite started are still alive: {names}")
