"""A run as a film: one frame a day of the control map, with the date, the legend and
the day's events as captions (``run.py run --animate``).

The map is laid out and drawn once, as ``map.png`` is (:class:`analysis.map_plot.ControlMap`);
each frame then only recolours its hexes and rewrites the date and the captions, so a
frame costs one redraw of the canvas. MP4 needs an ffmpeg: the one on the PATH, or the
one the ``imageio-ffmpeg`` package ships (``pip install -e ".[video]"``). Without one
the film is an animated GIF, and the caller is told so.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
from matplotlib import animation, rcParams

from analysis.event_wording import event_line
from analysis.map_plot import ControlMap, cell_palette

FRAMES_PER_SECOND = 8  # a month in about four seconds
FRAME_DPI = 80  # 880 x 680 pixels: the labels stay legible, and a frame encodes fast
MAX_CAPTIONS = 6  # events shown at once; more are counted
CAPTION_CHARS = 46  # what the margin beside the map holds
CAPTION_DAYS = 6  # an event stays on screen this many days (under a second), long enough to read
# Events worth a caption: what changes the map or the air forces' arrangement.
CAPTIONED = ("captured", "city_cleared", "siege_formed", "siege_broken", "incident", "deconfliction_breakdown")


def video_encoder() -> str | None:
    """The ffmpeg to encode MP4 with (on the PATH, or imageio-ffmpeg's), or None."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:  # the package without its binary for this platform
        return None


def film_name(encoder: str | None) -> str:
    """``control.mp4`` where an encoder is at hand, else ``control.gif``."""
    return "control.mp4" if encoder else "control.gif"


def captions_by_step(events: list[dict], start: dt.date) -> dict[int, list[str]]:
    """Each day's events as dated sentences ("8 Aug  SDF takes Tabqa (from ISIS)"), by step."""
    out: dict[int, list[str]] = {}
    for event in events:
        if event["event"] in CAPTIONED:
            step = int(event["step"])
            out.setdefault(step, []).append(f"{start + dt.timedelta(days=step):%d %b}  {event_line(event)}")
    return out


def recent(captions: dict[int, list[str]], step: int) -> list[str]:
    """The captions of the last :data:`CAPTION_DAYS` days up to ``step``, newest first."""
    return [line for s in range(step, step - CAPTION_DAYS, -1) for line in reversed(captions.get(s, []))]


def caption_text(lines: list[str]) -> str:
    """At most :data:`MAX_CAPTIONS` lines, and how many more there were."""
    lines = [line if len(line) <= CAPTION_CHARS else line[:CAPTION_CHARS - 1] + "…" for line in lines]
    if len(lines) > MAX_CAPTIONS:
        lines = lines[:MAX_CAPTIONS - 1] + [f"… and {len(lines) - MAX_CAPTIONS + 1} more"]
    return "\n".join(lines)


def write_film(tmap, control_history: list[np.ndarray], events: list[dict], start: dt.date, path,
               title: str, encoder: str | None) -> Path:
    """Write one frame a day of the run's control map to ``path`` (MP4 with ``encoder``, else GIF).

    Args:
        tmap: the run's :class:`~simulation.theatre.TheatreMap`.
        control_history: the holder of every cell, one array a day from the start (``model.control_history``).
        events: the run's event log (``model.event_log``): dicts with ``step``, ``event``, ``place``,
            ``faction``, ``detail``.
        start: the date of day 0.
        title: the scenario and seed, shown under each frame's date.
        encoder: the ffmpeg to write MP4 with (:func:`video_encoder`), or None for a GIF.
    """
    path = Path(path)
    laid_out = ControlMap(tmap)
    fig, ax = laid_out.draw(control_history[0], title=title), laid_out.ax
    cells, hexes = laid_out.cells, laid_out.hexes  # each frame recolours the hexes
    palette = cell_palette()
    date = ax.text(0.015, 0.985, "", transform=ax.transAxes, va="top", ha="left", fontsize=16, weight="bold",
                   zorder=8, bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "0.6", "alpha": 0.9})
    # The captions sit in the margin under the legend, where they hide no ground.
    legend = ax.get_legend().get_window_extent(fig.canvas.get_renderer()).transformed(fig.transFigure.inverted())
    fig.text(legend.x0, legend.y0 - 0.04, "Events", va="top", ha="left", fontsize=10, weight="bold")
    caption = fig.text(legend.x0, legend.y0 - 0.075, "", va="top", ha="left", fontsize=8.5, linespacing=1.5,
                       wrap=False)
    captions = captions_by_step(events, start)
    # H.264 in the common yuv420p needs even pixel sizes: trim the figure to them.
    width, height = (2 * int(x * FRAME_DPI / 2) / FRAME_DPI for x in fig.get_size_inches())
    fig.set_size_inches(width, height)
    if encoder:
        rcParams["animation.ffmpeg_path"] = encoder
        writer = animation.FFMpegWriter(fps=FRAMES_PER_SECOND, codec="libx264",
                                        extra_args=["-pix_fmt", "yuv420p", "-loglevel", "error"])
    else:
        writer = animation.PillowWriter(fps=FRAMES_PER_SECOND)
    with writer.saving(fig, str(path), dpi=FRAME_DPI):
        for step, control in enumerate(control_history):
            colours = palette[np.asarray(control).reshape(-1)[cells]]
            hexes.set_facecolors(colours)
            hexes.set_edgecolors(colours)
            date.set_text(f"{start + dt.timedelta(days=step):%d %b %Y}  ·  day {step}")
            caption.set_text(caption_text(recent(captions, step)))
            writer.grab_frame()
    return path

