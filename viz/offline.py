"""Serve the page with no internet: every front-end file from this machine.

``solara-assets`` bundles the files Solara would fetch from its CDN, except KaTeX
(the maths typesetter its Markdown loads), which Solara fetches on first use and
keeps in its asset cache. We ship KaTeX 0.16.9 (MIT licence, from npm) under
``viz/assets`` and put it in that cache before the server starts, as Solara
itself would have done when online, so the page loads with no failed requests on
an air-gapped machine.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"

log = logging.getLogger(__name__)


def ensure_offline_assets() -> Path | None:
    """Copy the shipped assets into Solara's CDN cache where missing; returns the cache.

    Returns None, with a warning, where the cache cannot be written (the page
    then needs the internet for maths in Markdown, and nothing else).
    """
    from solara.server import settings

    cache = Path(settings.assets.proxy_cache_dir)
    try:
        for package in ASSETS.iterdir():
            for source in package.rglob("*"):
                target = cache / source.relative_to(ASSETS)
                if source.is_file() and not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
    except OSError as e:
        log.warning("could not copy offline assets into %s: %s", cache, e)
        return None
    return cache
