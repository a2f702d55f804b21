"""Beside the map: territory, overstretch and air strikes over time, and the event feed.

The charts are ECharts figures drawn in the browser (Solara ships the library), so
a step sends a few series of numbers, not images; colours are the project's.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from analysis.event_wording import event_line
from analysis.plot_style import AIR_ARM_COLOURS, FACTION_COLOURS
from simulation.factions import AirArm, Faction

CHART_HEIGHT = "190px"
FEED_LENGTH = 80  # most recent events shown


@dataclass(frozen=True, eq=False)
class RunLogs:
    """What the charts and the event feed read, as one object: reacton walks and copies every list and
    dict handed to a component at every render, and these grow by dozens of values a day.

    Attributes:
        daily: the daily table as columns (:func:`daily_series`).
        strikes: the strike log, one dict per strike.
        events: the event log, one dict per event.
    """

    daily: dict
    strikes: list
    events: list


def daily_series(daily: dict, column: str) -> tuple[list[str], dict[str, list[float]]]:
    """Dates and one series per faction of a column of the daily table.

    Args:
        daily: the daily table as columns (one row per faction per day): the model's
            ``datacollector.tables["daily"]``, or a run folder's ``daily.csv``.
        column: e.g. ``"area_km2"``.
    """
    values = np.asarray(daily[column], dtype=float).reshape(-1, len(Faction))
    factions = daily["faction"][: len(Faction)]
    dates = [str(d) for d in daily["date"][:: len(Faction)]]
    # An infinite ratio (no fighters left to hold with) is not JSON: a gap in the line.
    return dates, {name: [v if np.isfinite(v) else None for v in values[:, i].round(3).tolist()]
                   for i, name in enumerate(factions)}


def strikes_per_day(strike_log: list[dict], dates: list[str]) -> dict[str, list[int]]:
    """Strikes flown each day by each air arm, zero on days without any."""
    index = {d: i for i, d in enumerate(dates)}
    out = {arm.name.lower(): [0] * len(dates) for arm in AirArm}
    for strike in strike_log:
        i = index.get(strike["date"])
        if i is not None:
            out[strike["air_arm"]][i] += int(strike["strikes"])
    return out


def _line_chart(title: str, dates: list[str], series: dict, colours: dict, unit: str,
                stacked: bool = False, shown: str | None = None) -> dict:
    """An ECharts line chart over the days; ``shown``: the date the map shows, marked by a line."""
    lines = [{"name": name, "type": "line", "data": values, "showSymbol": False,
              "color": colours[name], "lineStyle": {"width": 2},
              **({"stack": "total", "areaStyle": {"opacity": 0.8}, "lineStyle": {"width": 0}}
                 if stacked else {})}
             for name, values in series.items()]
    if shown is not None and lines:
        lines[0]["markLine"] = {"silent": True, "symbol": "none", "animation": False,
                                "lineStyle": {"color": "#222", "type": "solid", "width": 1.5},
                                "label": {"formatter": "map", "fontSize": 10}, "data": [{"xAxis": shown}]}
    return {
        "animation": False,
        "title": {"text": title, "textStyle": {"fontSize": 13}, "left": 0},
        "tooltip": {"trigger": "axis"},
        "legend": {"right": 0, "top": 16, "itemWidth": 12, "textStyle": {"fontSize": 11}},
        "grid": {"left": 52, "right": 12, "top": 44, "bottom": 24},
        "xAxis": {"type": "category", "data": dates, "boundaryGap": False},
        "yAxis": {"type": "value", "name": unit, "nameTextStyle": {"fontSize": 10}},
        "series": lines,
    }


@solara.component
def CampaignCharts(logs: RunLogs, day: int):
    """Territory per faction, overstretch per faction and strikes per day per air arm.

    The whole run so far is drawn; when the map shows an earlier day (the day
    slider), a line marks that day on each chart.
    """
    update_counter.get()
    dates, area = daily_series(logs.daily, "area_km2")
    _, overstretch = daily_series(logs.daily, "overstretch")
    shown = dates[day] if day < len(dates) - 1 else None
    thousand_km2 = {name: [round(a / 1000.0, 2) for a in values] for name, values in area.items()}
    arm_colours = {arm.name.lower(): AIR_ARM_COLOURS[arm.name.lower()] for arm in AirArm}
    with solara.Column(gap="4px", classes=["e17-charts"]):
        solara.FigureEcharts(option=_line_chart("Territory held", dates, thousand_km2, FACTION_COLOURS,
                                                "thousand km²", stacked=True, shown=shown),
                             attributes={"style": f"height: {CHART_HEIGHT}; width: 100%"})
        solara.FigureEcharts(option=_line_chart("Overstretch (garrison need ÷ free fighters)",
                                                dates, overstretch, FACTION_COLOURS, "ratio", shown=shown),
                             attributes={"style": f"height: {CHART_HEIGHT}; width: 100%"})
        solara.FigureEcharts(option=_line_chart("Air strikes per day", dates, strikes_per_day(logs.strikes, dates),
                                                arm_colours, "strikes", shown=shown),
                             attributes={"style": f"height: {CHART_HEIGHT}; width: 100%"})


def event_feed_html(events: list[dict], day: int | None = None) -> str:
    """The newest events first (up to ``day``, if given), as an HTML table of date and sentence."""
    if day is not None:
        events = [e for e in events if int(e["step"]) <= day]
    rows = []
    for event in reversed(events[-FEED_LENGTH:]):
        colour = FACTION_COLOURS.get(event["faction"], "#888")
        rows.append(f'<tr data-event="{html.escape(event["event"])}"><td style="white-space: nowrap; '
                    f'padding-right: 8px; vertical-align: top">{html.escape(event["date"])}</td>'
                    f'<td style="border-left: 4px solid {colour}; padding-left: 6px">'
                    f"{html.escape(event_line(event))}</td></tr>")
    if not rows:
        rows.append('<tr><td style="opacity: 0.6">No events by this day.</td></tr>')
    return f'<table style="font-size: 12px; border-collapse: collapse">{"".join(rows)}</table>'


@solara.component
def EventFeed(logs: RunLogs, day: int):
    """Captures, sieges, incidents and the line's breakdown up to the day shown, newest first, with dates."""
    update_counter.get()
    with solara.Card("Events", margin=0, classes=["e17-events"]):
        solara.HTML(tag="div", unsafe_innerHTML=event_feed_html(logs.events, day),
                    style="max-height: 260px; overflow-y: auto")
