"""The sweep report's figures say what they show: why a panel is empty, dates with their year,
legends beside the panels rather than over them, nothing cut off.

The figures are inspected as matplotlib objects (texts, tick labels, the drawn extents of
legend and axes), not as pixels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from analysis.history import SWEEP_RECORD
from analysis.sweep_plots import fan_chart, indices_plot, milestone_distributions

START = pd.Timestamp("2017-07-04")
SORTIES = "air.russia.sorties_per_day"


def drawn(fig):
    """The figure laid out and drawn (so that tick labels and extents are final); its renderer."""
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def texts_of(ax) -> str:
    return " ".join(t.get_text().replace("\n", " ") for t in ax.texts)


def milestones(days: int, reached: dict | None = None, values=(0, 0, 26, 26)) -> pd.DataFrame:
    """Runs of ``days`` days from the July start: every milestone NaN unless given in ``reached``."""
    rows = []
    for i, value in enumerate(values):
        row = {"run_id": f"p{i // 2:04d}-r{i % 2:02d}", SORTIES: value, "start": START,
               "end": START + pd.Timedelta(days=days)}
        row |= {m.key: (reached or {}).get(m.key, np.nan) for m in SWEEP_RECORD}
        rows.append(row)
    return pd.DataFrame(rows)


def panels(fig) -> dict:
    """Each milestone's panel, by its title."""
    return {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}


def test_a_short_sweeps_empty_panels_say_no_run_lasted_long_enough():
    fig = milestone_distributions(milestones(30), SORTIES)
    drawn(fig)
    by_title = panels(fig)
    assert len(by_title) == len(SWEEP_RECORD)
    raqqa = texts_of(by_title["Raqqa falls"])
    assert "no run lasted long enough to reach it: runs end on 3 Aug 2017, the record has it on 17 Oct 2017" in raqqa
    assert "the record has it on 5 Sep 2017" in texts_of(by_title["Deir ez-Zor siege broken"])
    below = texts_of(by_title["ISIS below 5% of its starting area"])
    assert "no run reached it by the end (runs end on 3 Aug 2017; the record gives no date)" in below
    share = texts_of(by_title["ISIS share of Deir ez-Zor governorate on 3 Nov"])
    assert "measured in no run: runs end on 3 Aug 2017, before 3 Nov 2017" in share


def test_a_long_sweeps_empty_panel_says_no_run_reached_it_and_a_full_one_dates_with_the_year():
    fig = milestone_distributions(milestones(180, {"siege_broken": 70.0}), SORTIES)
    drawn(fig)
    by_title = panels(fig)
    assert ("no run reached it by the end (runs end on 31 Dec 2017; the record has it on 17 Oct 2017)"
            in texts_of(by_title["Raqqa falls"]))
    siege = by_title["Deir ez-Zor siege broken"]
    assert "no run" not in texts_of(siege)
    labels = [t.get_text() for t in siege.get_yticklabels() if t.get_text()]
    assert labels and all("2017" in label for label in labels), labels


def test_runs_that_end_on_different_days_are_said_to_end_by_the_last():
    frame = milestones(30)
    frame.loc[0, "end"] = START + pd.Timedelta(days=10)
    fig = milestone_distributions(frame, SORTIES, discrete=False)
    assert "runs end by 3 Aug 2017" in texts_of(panels(fig)["Raqqa falls"])


def daily(days: int, runs: int = 4) -> pd.DataFrame:
    """A sweep's daily rows: each faction's area falling or rising a little, run by run."""
    rows = []
    for r in range(runs):
        for step in range(days + 1):
            for k, faction in enumerate(("ISIS", "SAA", "SDF", "ISF")):
                rows.append({"run_id": f"p{r // 2:04d}-r{r % 2:02d}", SORTIES: 26.0 * (r // 2), "kind": "daily",
                             "step": step, "date": START + pd.Timedelta(days=step), "faction": faction,
                             "area_km2": 50000.0 + (1 - 2 * (k == 0)) * 100.0 * step * (1 + r)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("days", [30, 180])
@pytest.mark.parametrize("by", [None, SORTIES])
def test_fan_chart_dates_carry_the_year_and_the_legend_sits_beside_the_panels(days, by):
    fig = fan_chart(daily(days), by)
    renderer = drawn(fig)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    for ax in shown:
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert labels and all("2017" in label for label in labels), labels
    (legend,) = fig.legends
    box = legend.get_window_extent(renderer)
    for ax in shown:
        assert not box.overlaps(ax.get_window_extent(renderer)), "the legend covers a panel"
    assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1), "the legend is cut off"
    for ax in shown:  # every panel, with its labels, inside the figure
        tight = ax.get_tightbbox(renderer)
        assert tight.x0 >= -1 and tight.y0 >= -1 and tight.x1 <= fig.bbox.x1 + 1 and tight.y1 <= fig.bbox.y1 + 1


def test_indices_legend_sits_beside_the_panels():
    indices = pd.DataFrame({"outcome": ["raqqa_falls"] * 2 + ["siege_broken"] * 2, "parameter": [SORTIES, "x"] * 2,
                            "S1": [0.5, 0.1, 0.2, 0.9], "S1_conf": 0.05, "ST": [0.6, 0.2, 0.3, 0.95], "ST_conf": 0.05})
    fig = indices_plot(indices)
    renderer = drawn(fig)
    (legend,) = fig.legends
    box = legend.get_window_extent(renderer)
    assert [t.get_text() for t in legend.get_texts()] == ["first order", "total order"]
    for ax in (ax for ax in fig.axes if ax.get_visible()):
        assert not box.overlaps(ax.get_window_extent(renderer))
    assert fig.bbox.contains(box.x1, box.y1)
