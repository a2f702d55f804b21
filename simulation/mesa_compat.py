"""Where the project touches Mesa APIs that differ between versions: the grid's layers, agent ids.

The hex grid carries the theatre's fixed layers as Mesa property layers (Mesa 4
drops ``PropertyLayer``: only this module would change).

Mesa 3.3 numbers agents with a class-level ``Agent._ids`` dictionary keyed by model,
which keeps every model ever built alive (with its grid and agents): a sweep of many
runs in one worker process grows by megabytes per run. Mesa 3.4+ numbers agents per
model and has no such dictionary. Keying the counters weakly lets finished models go.
"""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict

import numpy as np
from mesa import Agent
from mesa.discrete_space import HexGrid

from simulation.theatre import TheatreMap


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
    if isinstance(getattr(Agent, "_ids", None), defaultdict):
        counters = _AgentCounters()
        counters.update(Agent._ids)
        Agent._ids = counters


def make_hex_grid(tmap: TheatreMap, random=None) -> HexGrid:
    """A Mesa HexGrid over the theatre carrying the fixed layers as property layers."""
    grid = HexGrid((tmap.width, tmap.height), torus=False, random=random)
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
    layer = grid.create_property_layer("control", default_value=np.int8(0), dtype=np.int8)
    flat = layer.data.reshape(-1)
    flat[:] = control
    return flat
