"""How much memory a run at a cell size will take, estimated before it starts.

The cost that grows fastest as cells shrink is the model's fixed-radius reach
matrices (:meth:`~simulation.theatre.TheatreMap.within`: zone of control,
insurgency reach, contact along the front, the reach that holds ground). Each holds
one entry per pair of cells within its radius, so it grows with the fourth power of
1/cell size: a few MB at 10 km but over 5 GB at 2 km, most of it while the largest
is built. The estimate counts those entries and what building
them holds at its peak; the command line compares it with the memory free before
any work starts (``run.py run --cell-km 2``).
"""

from __future__ import annotations

import math

# Resident memory of a short run at a coarse grid, where the reach matrices are
# negligible: the libraries (Mesa, numpy, pandas, numba, matplotlib), the theatre
# and a few days' tables. Measured: 289 MB at 20 km, 299 MB at 10 km.
BASE_MB = 290.0
# Bytes per entry of a stored reach matrix (CSR without values: an int32 column index).
STORED_BYTES = 4.0
# Bytes per entry held while the largest one is built: its cells' pairs (int64 each),
# gathered and then joined, and the order that sorts them.
BUILDING_BYTES = 40.0


def cells_in_theatre(theatre_area_km2: float, cell_km: float) -> float:
    """About how many hex cells of ``cell_km`` (centre to centre) cover the theatre."""
    return theatre_area_km2 / (math.sqrt(3) / 2 * cell_km**2)


def run_memory_mb(theatre_area_km2: float, cell_km: float, radii_km: list[float]) -> float:
    """Estimated peak memory of one run, MB, from the cell size and the radii of its reach matrices."""
    cells = cells_in_theatre(theatre_area_km2, cell_km)
    hex_area = math.sqrt(3) / 2 * cell_km**2
    entries = [cells * (math.pi * r**2 / hex_area + 1.0) for r in radii_km]
    return BASE_MB + (STORED_BYTES * sum(entries) + (BUILDING_BYTES - STORED_BYTES) * max(entries)) / 1e6


def scenario_memory_mb(scenario, cell_km: float) -> float:
    """Estimated peak memory of one run of a checked scenario at ``cell_km``, MB."""
    rules = scenario.rules
    radii = [rules.movement.zone_of_control_km, rules.overstretch.insurgency_reach_km,
             rules.deconfliction.contact_km, cell_km * 1.01, rules.movement.hold_reach_km]
    return run_memory_mb(_theatre_area(), cell_km, radii)


def available_memory_mb() -> tuple[float | None, float | None]:
    """Memory free now, MB: the system's available memory, and the address-space limit of
    each process (``ulimit -v``); None for what is not known or not set."""
    free = limit = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            free = next((int(line.split()[1]) / 1024 for line in f if line.startswith("MemAvailable:")), None)
    except OSError:
        pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        limit = None if soft == resource.RLIM_INFINITY else soft / 2**20
    except (ImportError, ValueError, OSError):
        pass
    return free, limit


def memory_problem(scenario, cell_km: float | None, at_once: int = 1) -> str | None:
    """Why runs of ``scenario`` at ``cell_km``, ``at_once`` of them side by side, would not fit
    in the memory free now (a one-line message naming a cell size that fits), or None."""
    cell_km = float(cell_km or scenario.cell_km)
    system, per_process = available_memory_mb()
    # Each run is a process of its own (a limit applies to each); together they share the system's.
    free = min(x for x in (system and system / at_once, per_process, math.inf) if x is not None)

    def fits(k: float) -> bool:
        return scenario_memory_mb(scenario, k) <= free

    if fits(cell_km):
        return None
    coarser = next((k / 2 for k in range(math.ceil(2 * cell_km), 101) if fits(k / 2)), None)
    need = scenario_memory_mb(scenario, cell_km)
    each = f" a run, {at_once} runs at once," if at_once > 1 else ""
    hint = f"; --cell-km {coarser:g} or more fits" if coarser else ""
    cells = cells_in_theatre(_theatre_area(), cell_km)
    return (f"--cell-km {cell_km:g}: {cells:,.0f} cells need about {need / 1024:.1f} GB of memory{each} "
            f"but {free / 1024:.1f} GB is free{' for each' if at_once > 1 else ''}{hint}")


def _theatre_area() -> float:
    """The theatre's area, km²: the same ground at any cell size, to within 0.2%."""
    from simulation.theatre import theatre_map

    return theatre_map(20.0).theatre_area_km2
