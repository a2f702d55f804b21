"""The page: Mesa's SolaraViz for the controls, our map and panels for the view.

SolaraViz gives the sidebar (step, play/pause with its interval, reset, and the
model parameters: scenario, seed and the levers of :mod:`viz.levers`); the main
area is laid out here, the map beside its charts and event feed, instead of in
SolaraViz's grid of equal draggable tiles, which leaves a map too small to read.
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.command_console import CommandConsole
from mesa.visualization.utils import update_counter

from simulation.factions import Faction
from viz.campaign_map import CampaignMap
from viz.levers import DEFAULT_SCENARIO, CampaignModel, model_params
from viz.offline import ensure_offline_assets
from viz.panels import CampaignCharts, EventFeed

TITLE = "Euphrates 2017"

ensure_offline_assets()


def set_flags(overrides: dict) -> str:
    """The overrides as ``run.py`` options: ``--set sdf.manpower=30000 ...``."""
    return " ".join(f"--set {key}={str(value).lower() if isinstance(value, bool) else value}"
                    for key, value in overrides.items())


@solara.component
def RunSummary(model):
    """Which run this is: scenario, seed, overrides, and each side's fighters."""
    update_counter.get()
    at_start = " · ".join(f"{f.name} {model.spec.faction(f.key).manpower:,.0f}" for f in Faction)
    now = " · ".join(f"{f.name} {model.manpower[f]:,.0f}" for f in Faction)
    flags = set_flags(model.overrides)
    with solara.Div(classes=["e17-run"], style="font-size: 13px; line-height: 1.5"):
        solara.Text(f"{model.spec.name} (scenario {model.scenario_name}, seed {model.seed})")
        solara.HTML(tag="div", unsafe_innerHTML=f"Fighters at the start: <span class='e17-manpower'>{at_start}</span>"
                                                f"; now: {now}")
        solara.Text(f"Overrides: {flags}" if flags else "Overrides: none (the scenario as written)",
                    classes=["e17-overrides"])
        for problem in model.refused:
            solara.Error(problem[0].upper() + problem[1:], dense=True, classes=["e17-refused"])


@solara.component
def CampaignView(model):
    """The map with the run's summary above it, and the charts and events beside it."""
    with solara.Columns([3, 2], gutters_dense=True):
        with solara.Column(gap="6px"):
            RunSummary(model)
            CampaignMap(model)
        with solara.Column(gap="6px"):
            CampaignCharts(model)
            EventFeed(model)


@solara.component
def CampaignPage(scenario_name: str = DEFAULT_SCENARIO):
    """The whole app for one browser session, opening on ``scenario_name``."""
    solara.Title(TITLE)
    first = solara.use_memo(lambda: CampaignModel(scenario_name=scenario_name), [])
    model = solara.use_reactive(first)
    # Mesa's command console (in the sidebar) lets an analyst inspect the live model:
    # ``model.control``, ``model.events``, ``model.units_of(...)``.
    SolaraViz(model, components=[CommandConsole], model_params=model_params(scenario_name), name=TITLE)
    CampaignView(model.value)
