"""What a process has loaded before its runs stays for good: kept out of the garbage collector's full passes.

Building a model makes some fifty thousand objects (Mesa's cells and their links), and
every so often Python's collector then looks at every object the process holds, the
modules of Mesa, numba, pydantic, pandas and pyarrow included: about 0.1 s a time in a
sweep worker, every second or third run, and 0.04 s in a single ``run.py run``.
Frozen (``gc.freeze``), the objects made so far are left out of those passes; they
are never freed, which is what a loaded module's objects are for anyway. Runs made
afterwards are collected as before, so a worker's memory stays flat.
"""

from __future__ import annotations

import gc


def freeze_loaded() -> None:
    """Leave every object made so far out of the collector's passes from now on (``gc.freeze``).

    Call it once what a process's runs need is loaded, before its first run: the
    garbage of the first run would otherwise be kept for good.
    """
    gc.freeze()
