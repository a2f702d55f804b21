"""Beside the map: territory, overstretch and air strikes over time, and the event feed.

The charts are ECharts figures drawn in the browser (Solara ships the library), so
a step sends a few series of numbers, not images; colours are the project's.
"""

from __future__ import annotations

import html

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from analysis.plots import AIR_ARM_COLOURS, FACTION_COLOURS
from simulation.factions import AirArm, Faction

CHART_HEIGHT = "190px"
FEED_LENGTH = 80  # most recent events shown

EVENT_WORDING = {
    "captured": "takes",
    "city_cleared": "clears",
    "isis_returns": "ISIS back near",
    "siege_formed": "besieged at",
    "siege_broken": "relieved at",
    "unit_destroyed": "loses a unit at",
    "incident": "SAA-SDF incident near",
    "deconfliction_breakdown": "deconfliction breaks down",
}


def daily_series(model, column: str) -> tuple[list[str], dict[str, list[float]]]:
    """Dates and one series per faction of a column of the model's daily table."""
    table = model.datacollector.tables["daily"]
    values = np.asarray(table[column], dtype=float).reshape(-1, len(Faction))
    factions = table["faction"][: len(Faction)]
    dates = [str(d) for d in table["date"][:: len(Faction)]]
    # An infinite ratio (no fighters left to hold with) is not JSON: a gap in the line.
    return dates, {name: [v if np.isfinite(v) else None for v in values[:, i].round(3).tolist()]
                   for i, name in enumerate(factions)}


def strikes_per_day(model, dates: list[str]) -> dict[str, list[int]]:
    """Strikes flown each day by each air arm, zero on days without any."""
    index = {d: i for i, d in enumerate(dates)}
    out = {arm.name.lower(): [0] * len(dates) for arm in AirArm}
    for strike in model.strike_log:
        i = index.get(strike["date"])
        if i is not None:
            out[strike["air_arm"]][i] += strike["strikes"]
    return out


def _line_chart(title: str, dates: list[str], series: dict, colours: dict, unit: str,
                stacked: bool = False) -> dict:
    return {
        "animation": False,
        "title": {"text": title, "textStyle": {"fontSize": 13}, "left": 0},
        "tooltip": {"trigger": "axis"},
        "legend": {"right": 0, "top": 16, "itemWidth": 12, "textStyle": {"fontSize": 11}},
        "grid": {"left": 52, "right": 12, "top": 44, "bottom": 24},
        "xAxis": {"type": "category", "data": dates, "boundaryGap": False},
        "yAxis": {"type": "value", "name": unit, "nameTextStyle": {"fontSize": 10}},
        "series": [{"name": name, "type": "line", "data": values, "showSymbol": False,
                    "color": colours[name], "lineStyle": {"width": 2},
                    **({"stack": "total", "areaStyle": {"opacity": 0.8}, "lineStyle": {"width": 0}}
                       if stacked else {})}
                   for name, values in series.items()],
    }


@solara.component
def CampaignCharts(model):
    """Territory per faction, overstretch per faction and strikes per day per air arm."""
    update_counter.get()
    dates, area = daily_series(model, "area_km2")
    _, overstretch = daily_series(model, "overstretch")
    thousand_km2 = {name: [round(a / 1000.0, 2) for a in values] for name, values in area.items()}
    arm_colours = {arm.name.lower(): AIR_ARM_COLOURS[arm.name.lower()] for arm in AirArm}
    with solara.Column(gap="4px", classes=["e17-charts"]):
        solara.FigureEcharts(option=_line_chart("Territory held", dates, thousand_km2, FACTION_COLOURS,
                                                "thousand km²", stacked=True),
                             attributes={"style": f"height: {CHART_HEIGHT}; width: 100%"})
        solara.FigureEcharts(option=_line_chart("Overstretch (garrison need ÷ free fighters)",
                                                dates, overstretch, FACTION_COLOURS, "ratio"),
                             attributes={"style": f"height: {CHART_HEIGHT}; width: 100%"})
        solara.FigureEcharts(option=_line_chart("Air strikes per day", dates,
                                                strikes_per_day(model, dates), arm_colours, "strikes"),
                             attributes={"style": f"height: {CHART_HEIGHT}; width: 100%"})


def event_line(event: dict) -> str:
    """One event as a sentence: "SDF takes Raqqa (from ISIS)"."""
    what = EVENT_WORDING.get(event["event"], event["event"].replace("_", " "))
    place = f" {event['place']}" if event["place"] and event["event"] != "deconfliction_breakdown" else ""
    detail = f" ({event['detail']})" if event["detail"] else ""
    return f"{event['faction']} {what}{place}{detail}"


def event_feed_html(events: list[dict]) -> str:
    """The newest events first, as an HTML table of date and sentence."""
    rows = []
    for event in reversed(events[-FEED_LENGTH:]):
        colour = FACTION_COLOURS.get(event["faction"], "#888")
        rows.append(f'<tr data-event="{html.escape(event["event"])}"><td style="white-space: nowrap; '
                    f'padding-right: 8px; vertical-align: top">{html.escape(event["date"])}</td>'
                    f'<td style="border-left: 4px solid {colour}; padding-left: 6px">'
                    f"{html.escape(event_line(event))}</td></tr>")
    if not rows:
        rows.append('<tr><td style="opacity: 0.6">No events yet: step the model.</td></tr>')
    return f'<table style="font-size: 12px; border-collapse: collapse">{"".join(rows)}</table>'


@solara.component
def EventFeed(model):
    """Captures, sieges, incidents and the line's breakdown, newest first, with dates."""
    update_counter.get()
    with solara.Card("Events", margin=0, classes=["e17-events"]):
        solara.HTML(tag="div", unsafe_innerHTML=event_feed_html(model.event_log),
                    style="max-height: 260px; overflow-y: auto")
