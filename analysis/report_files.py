"""A report's files, written all together or not at all, and the one-line error for a bad ``--out``.

``run.py score`` and ``run.py calibrate`` write their reports through
:func:`report_folder`: the files go to a scratch folder beside ``--out`` and move into
it only when every one is written, so an interrupted or failed report leaves the
folder as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from simulation.export import written_together


class ReportError(ValueError):
    """A mistake in what was asked for (seeds, workers, the output folder): one line, exit code 2."""


@contextlib.contextmanager
def report_folder(out: Path, names: Iterable[str]) -> Iterator[Path]:
    """A scratch folder for a report's files, moved into ``out`` when the block succeeds.

    The folder is made on entry, so an ``out`` that cannot be written is refused, as a
    ReportError in one line, before any run.

    Args:
        out: the output folder (made if missing; files of the same names are replaced,
            others are left alone).
        names: the files the block writes into the scratch folder.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out}: exists and is not a folder")
    with contextlib.ExitStack() as stack:
        try:
            tmp = stack.enter_context(written_together(out, names))
        except OSError as exc:
            raise ReportError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
        yield tmp
