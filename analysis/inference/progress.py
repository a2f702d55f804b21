"""What a fit shows while it runs, on stderr: one line per generation, and a live bar on a terminal.

Each finished generation prints one line (its epsilon in days, particles accepted of
the simulations it took, the simulations so far and the time elapsed), on a terminal
or not. On a terminal a tqdm bar also counts the generation's accepted particles as
they come in. pyabc's samplers do not report particles one by one, so the counting
is done where their results pass: :class:`CountingClient` stands between pyabc's
Dask sampler and the Dask client and counts each job's results as pyabc collects
them; :func:`counting_single_process_sampler` wraps the single-process sampler's
simulation function.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from contextlib import contextmanager


def clock(seconds: float) -> str:
    """Seconds as ``m:ss`` or ``h:mm:ss``."""
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class FitProgress:
    """Progress of a fit on ``stream``: a bar per generation on a terminal, a line per generation always.

    Args:
        generations: the generation the fit stops at (counted from 1).
        population: particles per generation.
        stream: where to write (default stderr).
        elapsed_before: seconds the fit ran in earlier sessions (a resumed fit).
        done_before: generations done in earlier sessions.
    """

    def __init__(self, generations: int, population: int, stream=None, elapsed_before: float = 0.0,
                 done_before: int = 0):
        self.generations, self.population, self.current = generations, population, done_before + 1
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start, self.elapsed_before = time.monotonic(), elapsed_before
        self.bar, self.accepted, self.simulated = None, 0, 0
        self.interrupted = False  # Ctrl-C was pressed (see ctrl_c_kept)
        self.sampling = False  # the fit is waiting on simulations (see simulating)

    @property
    def elapsed(self) -> float:
        """Seconds of fitting, this session and earlier ones."""
        return self.elapsed_before + time.monotonic() - self.start

    @contextmanager
    def simulating(self):
        """The block in which the fit waits on a generation's simulations: a Ctrl-C stops it there at once
        (:func:`ctrl_c_kept`), and one pressed since the last generation stops it as the block begins."""
        if self.interrupted:
            raise KeyboardInterrupt
        self.sampling = True
        try:
            yield
        finally:
            self.sampling = False

    def particle(self, accepted: bool) -> None:
        """One simulation came back (accepted or not); a Ctrl-C that Python dropped is raised here."""
        if self.interrupted:
            raise KeyboardInterrupt
        self.simulated += 1
        self.accepted += bool(accepted)
        if not self.tty:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=self.population, file=self.stream, leave=False, dynamic_ncols=True,
                            desc=f"calibrate: generation {self.current}/{self.generations}",
                            bar_format="{desc}: {n}/{total} accepted |{bar}| {elapsed}{postfix}")
        self.bar.n = min(self.accepted, self.population)
        self.bar.set_postfix_str(f"{self.simulated} simulations", refresh=False)
        self.bar.refresh()

    def generation_done(self, t: int, epsilon: float, accepted: int, simulations: int, total: int) -> None:
        """Close the bar and print the generation's line."""
        if self.bar is not None:
            self.bar.close()
        self.bar, self.accepted, self.simulated, self.current = None, 0, 0, t + 2
        rate = accepted / simulations if simulations else float("nan")
        eps = "inf (the prior)" if epsilon == float("inf") else f"{epsilon:.1f} days"
        self.stream.write(f"calibrate: generation {t + 1}/{self.generations}: epsilon {eps}, {accepted} accepted "
                          f"of {simulations} simulations ({rate:.0%}), {total} simulations in all, "
                          f"{clock(self.elapsed)} elapsed\n")
        self.stream.flush()

    def close(self) -> None:
        """Take the bar off the terminal (an interrupted generation)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class CountingClient:
    """A Dask client for pyabc's ``DaskDistributedSampler`` that counts each job's particles as they come back.

    The sampler uses only ``submit``, ``ncores`` and ``close``; a job's ``result()`` is
    a list of ``(particle, accepted, job id)``. The sampler asks for the cluster's cores
    every 10 ms while it waits (a call to the scheduler each time, which took a third
    of a CPU from the workers on two cores); the answer is kept for
    :data:`CORES_TTL_S` seconds, so workers that join or leave count within that.
    """

    CORES_TTL_S = 2.0

    def __init__(self, client, progress: FitProgress):
        self.client, self.progress = client, progress
        self._cores, self._asked = None, -math.inf

    def ncores(self):
        now = time.monotonic()
        if now - self._asked > self.CORES_TTL_S:
            self._cores, self._asked = self.client.ncores(), now
        return self._cores

    def submit(self, *args, **kwargs):
        return _CountedJob(self.client.submit(*args, **kwargs), self.progress)

    def close(self):
        self.client.close()


class _CountedJob:
    """A Dask future whose batch of particles is counted once, when pyabc collects it."""

    def __init__(self, future, progress: FitProgress):
        self.future, self.progress, self.counted = future, progress, False

    def done(self) -> bool:
        return self.future.done()

    def cancel(self):
        return self.future.cancel()

    def result(self):
        batch = self.future.result()
        if not self.counted:
            self.counted = True
            for _, accepted, _ in batch:
                self.progress.particle(accepted)
        return batch


def counting_single_process_sampler(progress: FitProgress):
    """pyabc's single-process sampler, counting each simulation as it returns."""
    from pyabc.sampler import SingleCoreSampler

    class CountingSingleCoreSampler(SingleCoreSampler):
        def sample_until_n_accepted(self, n, simulate_one, t, **kwargs):
            def counted():
                particle = simulate_one()
                progress.particle(particle.accepted)
                return particle

            with progress.simulating():
                return super().sample_until_n_accepted(n, counted, t, **kwargs)

    return CountingSingleCoreSampler()


def counting_dask_sampler(client, progress: FitProgress):
    """pyabc's Dask sampler on ``client``, counting each job's particles (:class:`CountingClient`)."""
    from pyabc.sampler import DaskDistributedSampler

    class CountingDaskSampler(DaskDistributedSampler):
        def sample_until_n_accepted(self, *args, **kwargs):
            with progress.simulating():
                return super().sample_until_n_accepted(*args, **kwargs)

    return CountingDaskSampler(dask_client=CountingClient(client, progress))


@contextmanager
def ctrl_c_kept(progress: FitProgress):
    """Within the block, Ctrl-C stops the fit, at once while it waits on simulations, and never mid-write.

    The press is remembered on ``progress``. While the fit waits on a generation's
    simulations (:meth:`FitProgress.simulating`) it also raises ``KeyboardInterrupt`` at
    once; one that lands there in a finaliser or a weakref callback (a finished model's
    agent counters, a Dask future's) is only printed by Python, and the fit would go on,
    so such a dropped one is not printed and is raised again at the next simulation's
    result (:meth:`FitProgress.particle`). Elsewhere, as pyabc writes a generation to its
    database, nothing is raised: an exception inside SQLAlchemy was logged with its
    traceback, or left the database locked and the fit hung. It stops the fit as the
    next generation's simulations begin, or as the fit ends (:func:`~analysis.inference.fit.run_fit`).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def pressed(signum, frame):
        progress.interrupted = True
        if progress.sampling:
            raise KeyboardInterrupt

    hook = sys.unraisablehook

    def unraisable(info):
        if not (progress.interrupted and issubclass(info.exc_type, KeyboardInterrupt)):
            hook(info)

    previous = signal.signal(signal.SIGINT, pressed)
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = hook
