"""The figures' shared look: each faction's and air arm's colour, what the map labels, and saving.

Shared by the run's figures (:mod:`analysis.territory_plot`, :mod:`analysis.map_plot`),
the sweep's and calibration's plots and the browser map (``viz``), so a faction reads
in the same colour everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FACTION_COLOURS = {
    "ISIS": "#2b2b2b",  # black banner
    "SAA": "#c62828",  # red
    "SDF": "#d4b106",  # yellow
    "ISF": "#2e7d32",  # green
}
AIR_ARM_COLOURS = {
    "coalition": "#1565c0",  # blue
    "russia": "#7b1fa2",  # purple: no faction's colour
}
LABELLED_ROLES = ("airbase", "oil_field", "gas_field", "border_crossing", "dam")
LABEL_MIN_POPULATION = 40_000
RIVER_COLOUR = "#1f6fd1"


PNG_COMPRESS_LEVEL = 1  # zlib level: a fast encode (about a third of level 6's time) for a slightly larger file


def save_figure(fig: Figure, path, crop: bool = True) -> Figure:
    """Save the figure if a path is given; return it.

    A PNG is cropped to what is drawn (as ``bbox_inches="tight"``) unless ``crop`` is
    False (a figure laid out to fill its canvas: it is not drawn twice), and encoded
    fast. The tight box is measured here, with the Agg renderer the PNG is drawn by,
    rather than by ``savefig``, which draws the whole figure once more just to measure it.
    """
    if path is None:
        return fig
    if not (isinstance(path, (str, os.PathLike)) and Path(path).suffix.lower() == ".png"):
        fig.savefig(path, dpi=fig.dpi, bbox_inches="tight" if crop else None)  # another format measures its own way
        return fig
    tight = None
    if crop:
        tight = fig.get_tightbbox(renderer_of(fig)).padded(rcParams["savefig.pad_inches"])
    fig.savefig(path, dpi=fig.dpi, bbox_inches=tight, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return fig


def renderer_of(fig: Figure):
    """The Agg renderer the figure's PNG is drawn by, to measure text with before saving."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    return canvas.get_renderer()
