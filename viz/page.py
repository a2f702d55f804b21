"""The page: Mesa's SolaraViz for the controls, our map and panels for the view.

SolaraViz gives the sidebar (step, play/pause with its interval, reset, and the
model parameters: scenario, seed and the levers of :mod:`viz.levers`); the main
area is laid out here, the map beside its charts and event feed, instead of in
SolaraViz's grid of equal draggable tiles, which leaves a map too small to read.

A day slider above the map goes back over the days already run: the map, the
charts' marker and the event feed show that day, and a Step or Play brings the
view back to the latest day. ``run.py viz --replay DIR`` serves :func:`ReplayPage`
instead: a finished run's folder, read-only, with the slider and no model controls.
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.command_console import CommandConsole
from mesa.visualization.utils import update_counter

from simulation.factions import Faction
from simulation.records import last_recorded_day
from viz.campaign_map import CampaignMap
from viz.levers import DEFAULT_SCENARIO, CampaignModel, model_params
from viz.map_data import MapLayers, model_layers
from viz.offline import ensure_offline_assets
from viz.panels import CampaignCharts, EventFeed, RunLogs
from viz.replay import Replay

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
def DaySlider(day: int, last_day: int, on_day, follows: str):
    """The slider over the days run so far: ``day`` shown, ``on_day(n)`` called when moved.

    ``follows`` says what the latest day is (the model's, or the run's last).
    """
    with solara.Div(classes=["e17-day"], style="font-size: 13px; margin-top: -4px"):
        solara.SliderInt("Day shown", value=day, min=0, max=last_day, on_value=on_day)
        if day < last_day:
            solara.Text(f"Day {day} of {last_day}: {follows}", style="opacity: 0.75")


@solara.component
def RunView(layers: MapLayers, day_state, logs: RunLogs, children=()):
    """The map of one day with ``children`` (the run's summary, the day slider) above it, the charts and events beside.

    Used as ``with RunView(...):``, the block's components going above the map.
    """
    with solara.Columns([3, 2], gutters_dense=True):
        with solara.Column(gap="6px"):
            solara.Column(gap="6px", children=list(children))
            CampaignMap(layers, day_state)
        with solara.Column(gap="6px"):
            CampaignCharts(logs, day_state.step)
            EventFeed(logs, day_state.step)


@solara.component
def CampaignView(model):
    """The live model on its latest day, or an earlier one picked with the day slider."""
    update_counter.get()
    latest = last_recorded_day(model)  # not model.steps: Play may be part-way through the next day
    layers = solara.use_memo(lambda: MapLayers(model_layers(model)), [model])
    # The model's own tables and logs, which grow in place day by day.
    logs = solara.use_memo(lambda: RunLogs(model.datacollector.tables["daily"], model.strike_log, model.event_log),
                           [model])
    # The day picked and the latest day when it was: once a Step or Play moves the
    # latest day on, the view follows it again. One pick per model (Reset starts anew).
    picked = solara.use_memo(lambda: solara.reactive((0, -1)), [model])
    day, picked_on = picked.value
    if picked_on != latest:
        day = latest
    with RunView(layers, model.day_state(day), logs):
        RunSummary(model)
        DaySlider(day, latest, lambda d: picked.set((d, latest)), "Step or Play resumes from the latest day")


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


@solara.component
def ReplayPage(folder: str):
    """A finished run's folder (``run.py viz --replay DIR``): every day of it, read-only, nothing steps."""
    solara.Title(f"{TITLE}: replay")
    replay = solara.use_memo(lambda: Replay(folder), [])
    layers = solara.use_memo(lambda: MapLayers(replay.layers()), [])
    logs = solara.use_memo(lambda: RunLogs(replay.daily, replay.strike_log, replay.event_log), [])
    day = solara.use_reactive(replay.last_day)
    with solara.AppBar():
        solara.AppBarTitle(f"{TITLE}: replay of {folder}")
    with RunView(layers, replay.history.day_state(day.value), logs):
        solara.Info(replay.describe(), dense=True, classes=["e17-replay"])
        DaySlider(day.value, replay.last_day, day.set, "the run's last day is on the right")
