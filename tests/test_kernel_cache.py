"""Kernels load from numba's disk cache without readying its compiler, and compile as always on a miss."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

# numba's compiler loads these before any cache load; a kernel loaded from the cache needs none of them.
COMPILER_ONLY = ("numba.typed.typeddict", "numba.np.linalg", "numba.np.arraymath", "numba.np.random.generator_core")

KERNEL = '''
import numpy as np
from simulation.rules.kernel_cache import compiled


@compiled
def running_sum(values):
    out = np.empty(values.size)
    total = 0.0
    for i in range(values.size):
        total += values[i]
        out[i] = total
    return out
'''

# Calls the kernel, notes what numba loaded, then has numba compile something that needs its whole compiler.
CALL = '''
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from tiny_kernel import running_sum
sums = running_sum(np.arange(5.0)).tolist()
loaded = sorted(m for m in %r if m in sys.modules)
hits = sum(running_sum._cache_hits.values())
from numba import njit, typed

@njit
def squares(n):
    found = typed.List()
    for i in range(n):
        found.append(i * i)
    return np.linalg.norm(np.array([3.0, 4.0])), len(found)

print(json.dumps({"sums": sums, "loaded": loaded, "hits": hits, "compiled": list(squares(4))}))
''' % (COMPILER_ONLY,)


def call(folder) -> dict:
    done = subprocess.run([sys.executable, "-c", CALL, str(folder)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_kernel_compiles_once_then_loads_without_the_compiler_which_still_works(tmp_path):
    (tmp_path / "tiny_kernel.py").write_text(KERNEL)
    first = call(tmp_path)  # nothing cached: numba compiles it, everything loaded, and caches it
    assert first["hits"] == 0 and first["loaded"]  # compiling readies the compiler: some of them are loaded
    again = call(tmp_path)  # loaded from the cache, with none of the compiler's modules
    assert again["hits"] == 1 and again["loaded"] == []
    for result in (first, again):
        assert result["sums"] == [0.0, 1.0, 3.0, 6.0, 10.0]
        assert result["compiled"] == [5.0, 4]  # and numba compiles afterwards as always


A_RUN = '''
import json, sys
from simulation import ConflictModel
ConflictModel.from_scenario("2017-07-04_raqqa", seed=2, cell_km=20).run(days=3)
print(json.dumps(sorted(m for m in %r if m in sys.modules)))
''' % (COMPILER_ONLY,)


def test_the_models_kernels_load_without_the_compiler():
    runs = [subprocess.run([sys.executable, "-c", A_RUN], capture_output=True, text=True, cwd=ROOT) for _ in range(2)]
    assert all(done.returncode == 0 for done in runs), runs[-1].stderr
    assert json.loads(runs[-1].stdout.splitlines()[-1]) == []  # the first run compiled any kernel not yet cached
