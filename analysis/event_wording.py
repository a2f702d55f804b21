"""A run's events as short sentences ("SDF takes Raqqa (from ISIS)"), for the browser's
event feed and the animation's captions alike."""

from __future__ import annotations

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


def event_line(event: dict) -> str:
    """One event as a sentence: "SDF takes Raqqa (from ISIS)"."""
    what = EVENT_WORDING.get(event["event"], event["event"].replace("_", " "))
    place = f" {event['place']}" if event["place"] and event["event"] != "deconfliction_breakdown" else ""
    if not place and what.endswith((" at", " near")):  # a unit lost in the open: "ISIS loses a unit"
        what = what.rsplit(" ", 1)[0]
    detail = f" ({event['detail']})" if event["detail"] else ""
    return f"{event['faction']} {what}{place}{detail}"
