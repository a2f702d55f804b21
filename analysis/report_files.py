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


class ReportError(ValueError):
    """A mistake in what was asked for (seeds, workers, the output folder): one line, exit code 2."""


def out_folder_problem(out: Path) -> str | None:
    """What is wrong with ``out`` as an output folder that can be seen without writing, or None.

    Raises:
        OSError: the path cannot even be looked at (a name too long, no permission).
    """
    if out.exists() and not out.is_dir():
        return "exists and is not a folder"
    above = next((p for p in out.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        return f"{above} is a file, not a folder"
    return None


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
    with contextlib.ExitStack() as stack:
        try:
            problem = out_folder_problem(out)
            if problem:
                raise ReportError(f"--out {out}: {problem}")
            from simulation.export import written_together  # (pandas): not needed to check a folder

            tmp = stack.enter_context(written_together(out, names))
        except OSError as exc:
            raise ReportError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
        yield tmp
