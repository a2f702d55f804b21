"""What a local sweep worker loads as it starts (a Dask worker preload), before its first run.

The model's modules (Mesa, the rules and their compiled kernels, the agents) and the
Parquet writer (pandas, pyarrow) are imported once per worker process, while the
cluster starts and the main process is still checking the sweep's points, rather
than inside the first run each worker is given. Each worker builds the theatre of
the sweep's cell size once, on its first run (``simulation.theatre.theatre_map`` is
cached per process). Each finished model is let go: Mesa 3.3's per-model agent
counters are made weak on import of the model
(``simulation.mesa_compat.release_finished_models``) and each run's grid is released
after it (``analysis.sweep_results.release_grid``), so a worker's memory stays flat
however many runs it does. A worker ignores Ctrl-C (SIGINT): the main process handles it.
"""

from __future__ import annotations

import signal

# Ctrl-C is the main process's to handle: it reaches every process of the terminal's
# group, and a worker that took it would die with a traceback of its own while the
# main process stops the run and closes the cluster (which stops this worker). The
# local cluster starts its workers with SIGINT blocked already
# (``analysis.sweep_runner.local_cluster``); this covers a worker started otherwise,
# from here on. First, before the imports below take their second or two.
signal.signal(signal.SIGINT, signal.SIG_IGN)

import pandas  # noqa: E402, F401  (a run's table)
import pyarrow.parquet  # noqa: E402, F401  (its file)

import simulation.model  # noqa: E402, F401  (the model, its agents and rules)
from analysis.long_lived import freeze_loaded  # noqa: E402

freeze_loaded()  # what is loaded now stays: the collector's full passes skip it (0.1 s each)
