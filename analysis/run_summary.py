"""What one run came to, in a few lines: milestones beside the record, ground won and lost,
the SDF's stretch, the incidents between the air forces' clients, and the files written.

``run.py run`` prints it at the end and writes the same as ``summary.json``, so a user
sees the outcome without opening a table, and a script reads it without parsing text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# The tables a summary reads (simulation.records.TABLES).
SUMMARY_TABLES = ("daily", "daily_governorate", "events")


def run_summary(model, seed: int, files: list[str]) -> dict[str, Any]:
    """A finished run's outcome as plain JSON-ready data.

    Args:
        model: the :class:`~simulation.model.ConflictModel` after its run.
        seed: the run's seed.
        files: the names of the files the run wrote.
    """
    tables = {"daily": model.daily, "daily_governorate": model.daily_by_governorate, "events": model.events}
    return summary_of(run_facts(model), tables, seed, files)


def run_facts(model) -> dict[str, Any]:
    """What a summary needs of a finished model besides its tables: plain values, to hand another process."""
    pact = model.deconfliction
    return {"scenario": model.spec.name, "start": model.spec.start, "end": model.date, "days": int(model.steps),
            "cell_km": float(model.theatre.cell_km), "incidents": int(pact.incidents),
            "broken_on_step": None if pact.broken_on_step is None else int(pact.broken_on_step)}


def summary_of(facts: Mapping[str, Any], tables: Mapping[str, pd.DataFrame | Mapping[str, list]], seed: int,
               files: list[str]) -> dict[str, Any]:
    """:func:`run_summary` from :func:`run_facts` and the :data:`SUMMARY_TABLES`, as DataFrames or plain columns.

    With plain columns (:func:`simulation.records.plain_table`: picklable, and no pandas
    needed to make them) the summary can be drawn up in another process than the run's.
    """
    import pandas as pd  # (and analysis.history): here, so that summary_lines needs neither

    from analysis.history import SWEEP_RECORD, sweep_run_milestones
    from simulation.records import columns_frame

    daily, by_governorate, events = (t if isinstance(t, pd.DataFrame) else columns_frame(t)
                                     for t in (tables[name] for name in SUMMARY_TABLES))
    start, end = facts["start"], facts["end"]
    first, last = daily[daily.step == daily.step.min()], daily[daily.step == daily.step.max()]
    found = sweep_run_milestones(events, by_governorate, daily)
    sdf = daily[daily.faction == "SDF"].sort_values("step", kind="stable")
    peak = sdf.loc[sdf.overstretch.idxmax()] if len(sdf) else None
    broken_on = facts["broken_on_step"]
    return {
        "scenario": facts["scenario"],
        "seed": seed,
        "cell_km": facts["cell_km"],
        "start": str(start),
        "end": str(end),
        "days": facts["days"],
        "milestones": [_milestone(m, found[m.key], start, end) for m in SWEEP_RECORD],
        "area_km2": {f: {"start": round(float(first.loc[first.faction == f, "area_km2"].sum()), 1),
                         "end": round(float(last.loc[last.faction == f, "area_km2"].sum()), 1)}
                     for f in daily.faction.unique()},
        "sdf_peak_overstretch": None if peak is None else {"value": round(float(peak.overstretch), 3),
                                                           "date": str(pd.Timestamp(peak.date).date())},
        "incidents": facts["incidents"],
        "deconfliction_broke_on": None if broken_on is None else str(start + dt.timedelta(days=broken_on)),
        "files": sorted(files),
    }


def _milestone(m, value, start: dt.date, end: dt.date) -> dict[str, Any]:
    """One milestone: the model's date (or share), the record's, and whether the run could reach it."""
    import pandas as pd

    from analysis.history import SHARE_DATE

    out: dict[str, Any] = {"key": m.key, "label": m.label, "kind": "share" if m.kind == "share" else "date"}
    if m.kind == "share":
        out["model"] = None if pd.isna(value) else round(float(value), 3)
        out["record"] = m.historical
        out["in_run"] = start <= SHARE_DATE <= end
        return out
    out["model"] = None if pd.isna(value) else str(pd.Timestamp(value).date())
    out["record"] = None if m.historical is None else str(m.historical)
    out["in_run"] = m.historical is None or m.historical <= end
    if out["model"] and out["record"]:
        out["days_off"] = (dt.date.fromisoformat(out["model"]) - m.historical).days
    return out


def summary_lines(summary: dict[str, Any], out: str) -> list[str]:
    """The summary as the lines ``run.py run`` prints."""
    s = summary
    lines = [f"{s['scenario']} · seed {s['seed']} · {s['days']} days ({s['start']} to {s['end']}) · "
             f"{s['cell_km']:g} km cells", "", f"{'Milestones':49} {'model':12} record"]
    for m in s["milestones"]:
        lines.append(f"  {m['label'][:46]:47} {_milestone_text(m)}")
    lines += ["", f"{'Area held (km²)':19} {'start':>9} {'end':>9} {'change':>9}"]
    for faction, area in s["area_km2"].items():
        change = area["end"] - area["start"]
        lines.append(f"  {faction:17} {area['start']:9,.0f} {area['end']:9,.0f} {change:+9,.0f}")
    peak = s["sdf_peak_overstretch"]
    if peak:
        meaning = "more ground to hold than fighters free to hold it" if peak["value"] > 1 else "within its means"
        lines += ["", f"SDF overstretch: peak {peak['value']:.2f} on {peak['date']} ({meaning})"]
    broke = f"; the arrangement broke on {s['deconfliction_broke_on']}" if s["deconfliction_broke_on"] else \
        "; the arrangement held"
    lines.append(f"US-Russia deconfliction incidents: {s['incidents']}{broke}")
    lines += ["", f"Written to {out}/: {', '.join(s['files'])}"]
    return lines


def _milestone_text(m: dict[str, Any]) -> str:
    """``model   record (N days late)``, or why the model has none."""
    if m["kind"] == "share":
        model = "-" if m["model"] is None else f"{m['model']:.0%}"
        return f"{model:12} {m['record']:.0%}" + ("" if m["in_run"] else " (the run ends first)")
    record = m["record"] or "(not dated)"
    if m["model"] is None:
        return f"{'not reached':12} {record}" if m["in_run"] else f"{'-':12} {record} (the run ends first)"
    text = f"{m['model']:12} {record}"
    if "days_off" in m:
        off = m["days_off"]
        text += " (on the day)" if off == 0 else f" ({abs(off)} days {'late' if off > 0 else 'early'})"
    return text
