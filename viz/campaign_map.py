"""The campaign map: a Solara component drawing the hex grid in a browser canvas.

Mesa's matplotlib space drawer redraws the whole figure on the server each step
(hundreds of milliseconds for 3,300 hexes); here the browser keeps the fixed
layers (borders, rivers, place names) and repaints only the day's holders,
sieges, units and the deconfliction line from a small frame
(:mod:`viz.map_data`), for the latest day or any earlier one (the day slider).
Hovering a cell shows its governorate, place, holder, population and units;
clicking pins that description under the map.
"""

from __future__ import annotations

import solara

from viz.map_data import MapLayers, day_frame


@solara.component_vue("campaign_map.vue", vuetify=False)
def CampaignMapCanvas(layers_json: str, frame: dict):
    """The canvas itself: the run's layers as JSON (the same string all run long), ``frame`` for each day shown."""


@solara.component
def CampaignMap(layers: MapLayers, day):
    """The map of one day of a run (a :class:`~simulation.records.DayState`) on the run's fixed layers."""
    return CampaignMapCanvas(layers_json=layers.json, frame=day_frame(layers.data, day))
