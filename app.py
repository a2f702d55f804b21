"""The browser app, after Mesa's convention: ``solara run app.py`` serves it.

``python run.py viz [SCENARIO]`` checks the scenario, then serves this page with
the scenario to open on in ``EUPHRATES2017_SCENARIO``; ``python run.py viz --replay
DIR`` checks the run folder, then serves its replay, the folder in
``EUPHRATES2017_REPLAY``.
"""

import os

import solara

from viz.levers import DEFAULT_SCENARIO
from viz.page import CampaignPage, ReplayPage

SCENARIO = os.environ.get("EUPHRATES2017_SCENARIO", DEFAULT_SCENARIO)
REPLAY = os.environ.get("EUPHRATES2017_REPLAY")


@solara.component
def Page():
    """The page Solara serves: the live model, or a finished run's replay."""
    if REPLAY:
        ReplayPage(folder=REPLAY)
    else:
        CampaignPage(scenario_name=SCENARIO)
