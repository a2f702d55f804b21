"""A fit's folder: its manifest, its pyabc database, and refusing a folder that holds something else.

``fit.json`` says what is being fitted (the scenario's digest, the cell size, the
population, the seed, the parameter table and the training events), so that
``--resume`` goes on with the same fit and refuses another; it also keeps the
fitting time over sessions. ``fit.db`` is pyabc's SQLite history: every finished
generation is stored there as it ends, which is what an interrupted fit resumes from.
Both are written as the fit goes; the report's files are written together at its
end (:mod:`analysis.inference.report`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from pathlib import Path

from analysis.report_files import out_folder_problem

MANIFEST = "fit.json"
DATABASE = "fit.db"
ABC_ID = 1  # one fit per folder: pyabc's id of the run in the database


class FitError(ValueError):
    """A mistake in what was asked for (the folder, --resume, the options): one line, exit code 2."""


def digest(obj) -> str:
    """A short hash of JSON-able data (a scenario's dump, the training events)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def database_url(out: Path) -> str:
    """The SQLAlchemy address of the fit's database in ``out``."""
    return f"sqlite:///{(Path(out) / DATABASE).resolve()}"


def read_manifest(out: Path) -> dict | None:
    """The manifest in ``out``, or None if there is none."""
    path = Path(out) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise FitError(f"--out {out}: its {MANIFEST} cannot be read; use another --out") from None


def write_manifest(out: Path, manifest: dict) -> None:
    """Write the manifest atomically (a temporary file, then a rename)."""
    path = Path(out) / MANIFEST
    tmp = path.with_name(f".{MANIFEST}.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def check_folder(out: Path, resume: bool) -> dict | None:
    """Check ``--out`` before anything runs; the manifest of the fit to resume, or None for a new fit.

    Raises:
        FitError: ``out`` is a file; holds a fit and ``resume`` is off; is not empty and
            holds no fit; or holds no fit to resume.
    """
    out = Path(out)
    try:
        problem = out_folder_problem(out)
    except OSError as exc:
        raise FitError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
    if problem:
        raise FitError(f"--out {out}: {problem}")
    manifest = read_manifest(out) if out.is_dir() else None
    if resume:
        if manifest is None:
            raise FitError(f"--out {out}: holds no fit to resume (no {MANIFEST}); leave out --resume to start one")
        if not (out / DATABASE).is_file():
            raise FitError(f"--out {out}: its fit has no {DATABASE} to resume from; use another --out")
        return manifest
    if manifest is not None:
        raise FitError(f"--out {out}: already holds a fit; go on with it with --resume, or use another --out")
    if out.is_dir() and any(out.iterdir()):
        raise FitError(f"--out {out}: is not empty and holds no fit (no {MANIFEST}); use another --out")
    nearest = next(p for p in (out, *out.absolute().parents) if p.exists())
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise FitError(f"--out {out}: cannot write there ({nearest} is read-only)")
    return None


def make_folder(out: Path) -> None:
    """Make ``out`` (and its parents); FitError in one line if it cannot be written."""
    try:
        Path(out).mkdir(parents=True, exist_ok=True)
        probe = Path(out) / f".{MANIFEST}.probe"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise FitError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None


# ---- what the database holds ------------------------------------------------------------
def generations_done(out: Path) -> int:
    """Generations stored in the fit's database (0 if none)."""
    return int(_count(out, "select count(*) from populations where t >= 0"))


def simulations_done(out: Path) -> int:
    """Simulations of the generations stored in the fit's database."""
    return int(_count(out, "select coalesce(sum(nr_samples), 0) from populations where t >= 0"))


def _count(out: Path, query: str) -> int:
    """One number from the fit's database, read only; 0 if there is no database or no table yet."""
    path = Path(out) / DATABASE
    if not path.is_file():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return db.execute(query).fetchone()[0]
    except sqlite3.Error:
        return 0
