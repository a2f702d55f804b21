"""Drive the app in a headless Chromium: for the browser tests, the benchmark and the README's screenshot.

The browser is Debian's ``chromium`` package (``apt-get install -y chromium``),
driven by Playwright's Python package; Playwright never downloads a browser here.
The server is the real command line, ``python run.py viz --port 0``.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np

CHROMIUM = Path(os.environ.get("EUPHRATES2017_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RUN_PY = Path(__file__).resolve().parent.parent / "run.py"
SERVER_START_S = 120


@contextlib.contextmanager
def served(*args: str) -> Iterator[str]:
    """Start ``run.py viz --port 0 ARGS``; yield the page's URL once it answers; stop it."""
    server = subprocess.Popen([sys.executable, str(RUN_PY), "viz", "--port", "0", *args],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = server.stdout.readline()
        match = re.search(r"http://\S+/", first)
        if not match:
            raise RuntimeError(f"run.py viz did not start: {first}{server.stdout.read()}")
        url = match.group(0)
        # Keep reading what the server prints, or a full pipe would stall it mid-test;
        # the last lines go into the error if it dies.
        said: collections.deque[str] = collections.deque(maxlen=40)
        reader = threading.Thread(target=lambda: said.extend(server.stdout), daemon=True)
        reader.start()
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"run.py viz exited or never answered on {url}: "
                                       f"{''.join(said)}") from None
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@contextlib.contextmanager
def chromium(width: int = 1500, height: int = 1000) -> Iterator:
    """A headless Chromium page (Playwright) at the given viewport size."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def wait_for_map(page, day: int, timeout_ms: float = 60_000) -> None:
    """Wait until the map has been drawn for ``day`` (days since the scenario's start)."""
    page.wait_for_selector(f".e17-map[data-drawn-day='{day}']", timeout=timeout_ms)


def wait_until_still(page, still_ms: float = 2_000, timeout_ms: float = 15_000) -> int:
    """Wait until the map stops moving on; return the day it rests on.

    The map rests when the day drawn is the day the page last received and neither
    changes for ``still_ms``. On a loaded machine the browser can draw several days
    behind the model, so a paused run's last days may still arrive after the pause.
    Raises TimeoutError if the map is still moving after ``timeout_ms``.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    seen, since = None, time.monotonic()
    while time.monotonic() < deadline:
        shown = page.locator(".e17-map")
        now = (shown.get_attribute("data-day"), shown.get_attribute("data-drawn-day"))
        if now != seen:
            seen, since = now, time.monotonic()
        elif now[0] == now[1] and time.monotonic() - since >= still_ms / 1000:
            return int(now[1])
        page.wait_for_timeout(200)
    raise TimeoutError(f"the map still moving after {timeout_ms / 1000:g} s (day received, drawn: {seen})")


def wait_for_page(page, day: int, timeout_ms: float = 60_000) -> None:
    """Wait until the map is drawn for ``day`` and the three charts exist.

    Solara's ECharts component loads its library after it is mounted and fails
    (a console error, the chart not updated) if its option changes before then: a
    test steps only once the charts are there.
    """
    wait_for_map(page, day, timeout_ms)
    page.wait_for_function("document.querySelectorAll('.e17-charts canvas').length >= 3", timeout=timeout_ms)


def scrub_to(page, day: int) -> None:
    """Move the day slider to ``day``, one key press (one day) at a time, until the map shows it."""
    slider = page.locator(".e17-day [role=slider]")
    shown = int(page.locator(".e17-map").get_attribute("data-day"))
    while shown != day:
        slider.press("ArrowLeft" if day < shown else "ArrowRight")
        shown += -1 if day < shown else 1
        wait_for_map(page, shown)


def shown_holders(page) -> str:
    """The holders the map shows: one digit (faction code) per theatre cell, in grid order."""
    return page.locator(".e17-map").get_attribute("data-holders")


def describe_cell(page, tmap, cell: int) -> str:
    """Hover theatre cell ``cell`` (its index among the theatre's cells) and return the map's tooltip."""
    from viz.map_data import MapFrame

    frame = MapFrame(tmap)
    k = int(np.flatnonzero(tmap.in_theatre)[cell])
    x, y = frame.px(tmap.x_km[k], tmap.y_km[k])
    canvas = page.locator("canvas.e17-map-canvas")
    scale = canvas.bounding_box()["width"] / frame.width
    canvas.hover(position={"x": float(x) * scale, "y": float(y) * scale})
    tip = page.locator(".e17-map-tip")
    tip.wait_for()
    return tip.inner_text()


def press(page, label: str) -> None:
    """Click the sidebar button with this label (Step, Reset, or play/pause)."""
    page.get_by_role("button", name=label, exact=True).click()


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar's drop-down list labelled ``label``."""
    field = page.locator(".v-select").filter(has=page.locator("label", has_text=label))
    field.locator(".v-select__slot").click()
    page.locator(".menuable__content__active .v-list-item", has_text=option).first.click()


def screenshot(path: str | Path, days: int = 100, width: int = 1500, height: int = 1000) -> None:
    """Save a screenshot of the app after stepping the July scenario ``days`` days."""
    with served() as url, chromium(width, height) as page:
        page.goto(url)
        wait_for_page(page, 0)
        for day in range(1, days + 1):
            press(page, "Step")
            wait_for_map(page, day)
        page.wait_for_timeout(500)  # the charts' last frame
        page.screenshot(path=str(path))


if __name__ == "__main__":  # python -m viz.harness docs/app.png [DAYS]
    screenshot(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
