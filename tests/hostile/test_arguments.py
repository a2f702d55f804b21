"""Arguments that mean what they say: each refused in one line, exit 2, nothing written, at once.

The start of the hostile-input corpus (issue 15): a boolean is not a number, a huge
number is shown short, ``--days`` stops at the scenario's end, and a reader that goes
away (``| head``) ends the command quietly.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JULY = "2017-07-04_raqqa"


# How long a refusal may take. Each takes about a second here; a stalled CI machine has taken 18 s over one;
# what the bound is for (a file of aliases expanding for minutes, a wait on a scheduler that never answers)
# takes far longer, up to run_py's 60 s timeout.
AT_ONCE_S = 30


def run_py(*args: str, cwd: Path) -> tuple[int, list[str], float]:
    """Run ``run.py`` in a child process: its exit code, its stderr lines and the seconds it took."""
    start = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)
    return done.returncode, done.stderr.splitlines(), time.monotonic() - start


CASES = [
    (("validate", JULY, "--set", "air.russia.sorties_per_day=true"),
     "--set air.russia.sorties_per_day: expected a number, got true"),
    (("validate", JULY, "--set", "rules.combat.noise_sd=false"), "--set rules.combat.noise_sd: expected a number, got false"),
    (("validate", JULY, "--set", "rules.combat.substeps=true"), "--set rules.combat.substeps: expected a number, got true"),
    (("validate", JULY, "--set", "isf.operations=true"), "--set isf.operations: expected a number, got true"),
    (("validate", JULY, "--set", "sdf.manpower=1e300"), "got 1e+300"),
    (("validate", JULY, "--set", "sdf.manpower=-1e300"), "must be a number ≥ 0, got '-1e300'"),
    (("run", JULY, "--days", "100000", "--out", "out"),
     "--days 100000: the scenario ends on 2017-12-31, 180 days after its start; run at most 180, "
     "or move its end with --set end=YYYY-MM-DD"),
    (("run", JULY, "--days", "181", "--out", "out"), "--days 181: the scenario ends on 2017-12-31"),
]


@pytest.mark.parametrize("args, message", CASES, ids=[" ".join(a[1:]) for a, _ in CASES])
def test_refused_in_one_line_at_once_with_nothing_written(tmp_path, args, message):
    code, lines, seconds = run_py(*args, cwd=tmp_path)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("run.py: error: ") and message in lines[0], lines
    assert len(lines[0]) < 200
    assert not any(tmp_path.iterdir()), "nothing is written"
    assert seconds < AT_ONCE_S  # each takes well under a second here


def test_days_up_to_the_end_still_run(tmp_path):
    code, lines, _ = run_py("run", JULY, "--days", "3", "--cell-km", "20", "--out", "out", cwd=tmp_path)
    assert code == 0, lines
    assert (tmp_path / "out" / "daily.csv").is_file()


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    # Validating every shipped file prints a line each; the reader takes one and leaves.
    files = [str(p) for p in sorted((ROOT / "scenarios").rglob("*.yaml"))] * 200
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "validate", *files], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdout.readline()
        proc.stdout.close()  # the pipe breaks on the next line the command prints
        stderr = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
    assert code == 141 and "Traceback" not in stderr and stderr == "", (code, stderr)


def test_thousands_of_problems_print_the_first_fifty_and_a_count(tmp_path):
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("name: x\n" + "".join(f"k{i}: 1\n" for i in range(3000)))
    code, lines, seconds = run_py("validate", str(wrong), cwd=tmp_path)
    assert code == 2 and len(lines) == 50, lines[-3:]
    assert all(line.startswith("run.py: error: ") for line in lines)
    assert any("unknown key 'k0'" in line for line in lines) and lines[-1].endswith("more problems like these")
    assert "2,9" in lines[-1] and "Traceback" not in "".join(lines)
    assert seconds < AT_ONCE_S  # about a second here
