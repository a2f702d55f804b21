"""Where the project touches Mesa APIs that differ between versions, or Mesa's insides: its import, the
grid's links and layers, agent ids.

**Importing Mesa.** Mesa 3's ``mesa/__init__.py`` imports every part of Mesa, and with
them libraries a run of this model does not touch: pandas (``mesa.datacollection``,
for the ``DataCollector.get_*_dataframe`` methods), networkx (``mesa.space``'s
``NetworkGrid``), SciPy's spatial module (through ``mesa.experimental``, whose
continuous space takes ``cdist`` from it) and ``tqdm.auto`` with asyncio
(``mesa.batchrunner``'s progress bar). Measured with Mesa 3.3.1 on Python 3.11, after
numpy, ``scipy.sparse``, numba and pydantic were loaded, as a run then had them: ``import
mesa`` took 0.55 s, of it pandas 0.25 s, scipy.spatial 0.11 s, networkx 0.09 s and
tqdm.auto 0.02 s; with :data:`DEFERRED` left out, 0.05 s.

While Mesa's own modules run (and only then), each module of :data:`DEFERRED` is a
*stand-in* in ``sys.modules``: Mesa binds the stand-in (``pd``, ``nx``,
``mesa.experimental``) and the real module is imported, by the ordinary import
machinery, the first time anything is looked up on it. A name Mesa takes out of a
module (``from tqdm.auto import tqdm``) is a function that imports the module on its
first call. Everyone else imports the real modules as before (the stand-ins leave
``sys.modules`` when Mesa's import ends), so notebooks, the browser map and the sweeps
see no difference; pandas comes in when a table is first asked for as a DataFrame
(``model.daily``...), and a run that writes its tables as CSV never loads it
(:func:`simulation.export.write_tables`).

:func:`defer_mesa_extras`, called by ``simulation/__init__.py`` (which is why this
module imports Mesa only inside its functions), arranges this for the first ``import
mesa`` of the process, whoever makes it. Nothing in it names a Mesa version: what a
Mesa version needs while it is imported comes in then (Mesa 3.5.1's grids build a
``KDTree`` of scipy.spatial and its network grid's default layout is networkx's, so
there only pandas, ``tqdm.auto`` and most of ``mesa.experimental`` are left out), and
a module Mesa no longer imports is never looked at.

**The grid: links, layers and ids.** The hex grid's cells are linked to their
neighbours by this module (:func:`theatre_hex_grid`), in one pass over Mesa's
``_cells`` through its ``_connect_cells_2d`` hook: Mesa's own way was more than half of a
run's build. The hex grid carries the theatre's fixed layers as Mesa property
layers (Mesa 4 drops ``PropertyLayer``: only this module would change).

Mesa 3.3 numbers agents with a class-level ``Agent._ids`` dictionary keyed by model,
which keeps every model ever built alive (with its grid and agents): a sweep of many
runs in one worker process grows by megabytes per run. Mesa 3.4+ numbers agents per
model and has no such dictionary. Keying the counters weakly lets finished models go.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import itertools
import sys
import types
import weakref
from collections import defaultdict
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from mesa.discrete_space import HexGrid

    from simulation.theatre import TheatreMap


# ---- importing Mesa -------------------------------------------------------------------
# Module -> names Mesa takes out of it with ``from module import name`` (each called, never
# stored or compared, by Mesa); a module with none is bound whole (``import pandas as pd``).
DEFERRED: dict[str, tuple[str, ...]] = {
    "pandas": (),  # mesa.datacollection: DataFrames of the collected data
    "networkx": (),  # mesa.space.NetworkGrid
    "mesa.experimental": (),  # 3.3: continuous space (scipy.spatial), discrete events, signals, meta-agents
    "tqdm.auto": ("tqdm",),  # mesa.batchrunner's progress bar (asyncio)
}


class _StandIn(types.ModuleType):
    """A module that becomes its real self when anything is looked up on it.

    Dunder look-ups answer "missing", as for a built-in module, so that scans of
    ``sys.modules`` (``inspect.getmodule``, which Mesa's loggers use while Mesa is
    imported) do not import it; but a package's stand-in has the package's
    ``__path__``, so that a submodule of it (Mesa 3.5's ``mesa.model`` imports some of
    ``mesa.experimental``) is imported alone, as the real package would import it,
    and only once.
    """

    def __init__(self, name: str, callables: tuple[str, ...], path: list[str] | None):
        super().__init__(name, f"Stand-in for {name}, imported on first use (simulation.mesa_compat).")
        self._deferred_callables = callables
        if path is not None:
            self.__path__ = path

    def __getattr__(self, attr: str):
        if attr in self._deferred_callables:
            return _imported_on_call(self.__name__, attr)
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(_real(self), attr)


def _real(stand_in: _StandIn) -> types.ModuleType:
    """The real module of a stand-in, imported now if need be (the stand-in leaves ``sys.modules`` first)."""
    name = stand_in.__name__
    if sys.modules.get(name) is stand_in:
        del sys.modules[name]
    return importlib.import_module(name)


def _imported_on_call(module: str, name: str):
    """A function that calls ``module.name``, importing the module on the first call."""
    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{module}.{name}, imported on the first call (simulation.mesa_compat)."
    return call


@contextmanager
def stand_ins(deferred: dict[str, tuple[str, ...]] = DEFERRED):
    """Within the block, each of ``deferred`` not yet imported but installed is a stand-in in ``sys.modules``."""
    placed = {}
    for name, callables in deferred.items():
        if name in sys.modules:
            continue  # loaded already: nothing to save
        if callables:  # names taken out of a module: is its package installed?
            top = name.partition(".")[0]
            found, path = top in sys.modules or importlib.util.find_spec(top) is not None, None
        else:  # a whole module: found (not run), and a package's path
            spec = importlib.util.find_spec(name)
            found, path = spec is not None, spec and spec.submodule_search_locations
        if found:  # (if not, Mesa's own ImportError stands)
            placed[name] = sys.modules[name] = _StandIn(name, callables, path)
    try:
        yield
    finally:
        for name, stand_in in placed.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


class _MesaLoader:
    """Mesa's own loader, run with the stand-ins in place; it puts the real loader back on the module."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def __getattr__(self, attr):  # anything else the import machinery asks of a loader
        return getattr(self.loader, attr)

    def exec_module(self, module):
        module.__spec__.loader = module.__loader__ = self.loader
        with stand_ins():
            self.loader.exec_module(module)


class _MesaFinder:
    """On the first ``import mesa``: Mesa's own spec, its loader wrapped in :class:`_MesaLoader`."""

    def find_spec(self, name, path=None, target=None):
        if name != "mesa":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)  # once: whatever comes next, this finder is done
        spec = importlib.util.find_spec("mesa")
        if spec is not None and spec.loader is not None:
            spec.loader = _MesaLoader(spec.loader)
        return spec


def defer_mesa_extras() -> None:
    """Have the process's first ``import mesa`` leave :data:`DEFERRED` until they are used (idempotent)."""
    if "mesa" not in sys.modules and not any(isinstance(f, _MesaFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MesaFinder())


# ---- the grid's layers and agent ids ---------------------------------------------------
class _AgentCounters(weakref.WeakKeyDictionary):
    """Per-model agent id counters that do not keep their models alive."""

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


def release_finished_models() -> None:
    """Replace Mesa 3.3's strong per-model id counters with weak ones (no-op elsewhere)."""
    from mesa import Agent

    if isinstance(getattr(Agent, "_ids", None), defaultdict):
        counters = _AgentCounters()
        counters.update(Agent._ids)
        Agent._ids = counters


@functools.cache
def hex_links(columns: int, rows: int) -> tuple[tuple[tuple[tuple[int, int], ...], tuple[int, ...]], ...]:
    """Per cell of a ``columns`` x ``rows`` hex grid, column by column, its links: their keys, and
    their neighbours' places in that order (keyed and ordered as Mesa links them:
    :func:`~simulation.theatre.neighbour_offsets`)."""
    from simulation.theatre import neighbour_offsets  # here: simulation/__init__ imports this module first

    # Cell (i, j) is at place i * rows + j, so a link (di, dj) is a step of di * rows + dj places.
    offsets = [tuple(neighbour_offsets(parity)) for parity in (0, 1)]
    steps = [tuple(di * rows + dj for di, dj in row_offsets) for row_offsets in offsets]
    links = []
    for i in range(columns):
        for j in range(rows):
            keys, moves, place = offsets[j % 2], steps[j % 2], i * rows + j
            if 0 < i < columns - 1 and 0 < j < rows - 1:  # all six neighbours on the grid
                links.append((keys, tuple(map(place.__add__, moves))))
            else:  # on the grid's edge: those neighbours that are on it
                on_grid = [(key, place + move) for key, move in zip(keys, moves)
                           if 0 <= i + key[0] < columns and 0 <= j + key[1] < rows]
                links.append((tuple(key for key, _ in on_grid), tuple(k for _, k in on_grid)))
    return tuple(links)


@functools.cache
def theatre_hex_grid() -> type[HexGrid]:
    """Mesa's ``HexGrid``, its cells linked in one pass (made on first use: Mesa is imported then).

    Mesa links each cell to each neighbour with ``Cell.connect``, which also clears
    caches a new cell does not have yet: at 10 km (4,824 cells) about 0.025 s of the 0.04 s
    a model took to build at best, in every run of a sweep. Here each new cell's
    ``connections`` are made at once from the grid's links (:func:`hex_links`, worked out
    once per grid size): the same keys, in the same order, to the same cells
    (``tests/test_theatre.py`` compares them with Mesa's own grid). A wrapping grid is
    left to Mesa.
    """
    from mesa.discrete_space import HexGrid

    class TheatreHexGrid(HexGrid):
        """Mesa's ``HexGrid``, its new cells linked without ``Cell.connect`` (see :func:`theatre_hex_grid`)."""

        def _connect_cells_2d(self) -> None:
            if self.torus:
                super()._connect_cells_2d()
                return
            columns, rows = self.dimensions
            cells = [self._cells[i, j] for i in range(columns) for j in range(rows)]  # column by column
            for cell, (keys, places) in zip(cells, hex_links(columns, rows)):
                cell.connections = dict(zip(keys, map(cells.__getitem__, places)))

    return TheatreHexGrid


def make_hex_grid(tmap: TheatreMap, random=None) -> HexGrid:
    """A Mesa HexGrid over the theatre carrying the fixed layers as property layers."""
    grid = theatre_hex_grid()((tmap.width, tmap.height), torus=False, random=random)
    layers = {
        "in_theatre": tmap.in_theatre, "country": tmap.country,
        "governorate": tmap.governorate, "terrain": tmap.terrain,
        "population": tmap.population, "community": tmap.community, "bank": tmap.bank,
        "place": tmap.place, "cell_area_km2": tmap.cell_area_km2,
    }
    for name, values in layers.items():
        default = values.dtype.type(0)
        layer = grid.create_property_layer(name, default_value=default, dtype=values.dtype.type)
        layer.data[...] = values.reshape(tmap.width, tmap.height)
    return grid


def control_layer(grid: HexGrid, control) -> np.ndarray:
    """Add the control layer (faction code per cell) to the grid; its flat view, through which writes reach the layer."""
    import numpy as np

    layer = grid.create_property_layer("control", default_value=np.int8(0), dtype=np.int8)
    flat = layer.data.reshape(-1)
    flat[:] = control
    return flat


def add_table_rows(collector, table: str, columns: dict[str, list]) -> None:
    """Add rows to one of a ``DataCollector``'s tables, given column by column (each list one value per row).

    The same as calling ``add_table_row`` once per row, which a day's 36 rows made
    about 10% of a run's time; every column of the table must be given, all as long.
    """
    stored = collector.tables[table]
    if set(columns) != set(stored) or len({len(values) for values in columns.values()}) > 1:
        raise ValueError(f"rows for table {table!r} need its columns {list(stored)}, each as long")
    for name, values in stored.items():
        values.extend(columns[name])
