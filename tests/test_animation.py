"""``run.py run --animate``: a film of the control map, one frame a day, with the date and
the day's events; MP4 where an ffmpeg is at hand, a GIF (and a note saying so) where not."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from PIL import Image

from analysis.animation import (MAX_CAPTIONS, caption_text, captions_by_step, recent, video_encoder,
                                write_film)
from conftest import ROOT

START = dt.date(2017, 7, 4)


def test_the_cli_writes_an_mp4_with_a_frame_a_day(tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "--days", "12", "--cell-km", "20", "--animate",
                           "--quiet", "--out", "out"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    film = tmp_path / "out" / "control.mp4"
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(film))
    assert frames == 13  # the start and twelve days


def test_without_an_encoder_the_film_is_a_gif_of_a_frame_a_day(short_run, tmp_path):
    path = write_film(short_run.theatre, short_run.control_history, short_run.event_log, START,
                      tmp_path / "control.gif", "July (seed 3)", encoder=None)
    with Image.open(path) as gif:
        assert gif.n_frames == len(short_run.control_history) == 31
        first = gif.convert("RGB").copy()
        gif.seek(gif.n_frames - 1)
        last = gif.convert("RGB")
        assert first.size == last.size and first.tobytes() != last.tobytes()  # the map and the date change


def test_an_encoder_is_found_where_imageio_ffmpeg_is_installed():
    pytest.importorskip("imageio_ffmpeg")
    assert video_encoder() is not None


EVENTS = [
    {"step": 3, "event": "captured", "place": "Tabqa", "faction": "SDF", "detail": "from ISIS"},
    {"step": 3, "event": "unit_destroyed", "place": "", "faction": "ISIS", "detail": "Hawija group surrendered"},
    {"step": 5, "event": "siege_broken", "place": "Deir ez-Zor", "faction": "SAA", "detail": ""},
]


def test_captions_are_the_days_map_events_dated_and_kept_a_few_days():
    captions = captions_by_step(EVENTS, START)
    assert captions == {3: ["07 Jul  SDF takes Tabqa (from ISIS)"], 5: ["09 Jul  SAA relieved at Deir ez-Zor"]}
    assert recent(captions, 2) == []
    assert recent(captions, 5) == ["09 Jul  SAA relieved at Deir ez-Zor", "07 Jul  SDF takes Tabqa (from ISIS)"]
    assert recent(captions, 20) == []  # gone once their days have passed


def test_a_crowded_day_shows_the_first_captions_and_counts_the_rest():
    lines = [f"event {i}" for i in range(MAX_CAPTIONS + 3)]
    shown = caption_text(lines).splitlines()
    assert len(shown) == MAX_CAPTIONS and shown[-1] == "… and 4 more"
    assert len(caption_text(["x" * 200])) <= 46
