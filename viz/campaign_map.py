"""The campaign map: a Solara component drawing the hex grid in a browser canvas.

Mesa's matplotlib space drawer redraws the whole figure on the server each step
(hundreds of milliseconds for 3,300 hexes); here the browser keeps the fixed
layers (borders, rivers, place names) and repaints only the day's holders,
sieges, units and the deconfliction line from a small frame
(:mod:`viz.map_data`). Hovering a cell shows its governorate, place, holder,
population and units; clicking pins that description under the map.
"""

from __future__ import annotations

import solara
from mesa.visualization.utils import update_counter

from viz.map_data import day_frame, static_layers


@solara.component_vue("campaign_map.vue", vuetify=False)
def CampaignMapCanvas(layers: dict, frame: dict):
    """The canvas itself: ``layers`` once per model, ``frame`` every day."""


@solara.component
def CampaignMap(model):
    """The map of a model on its current day, redrawn after every step."""
    update_counter.get()
    layers = solara.use_memo(lambda: static_layers(model), [model])
    return CampaignMapCanvas(layers=layers, frame=day_frame(model))
