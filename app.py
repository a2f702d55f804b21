"""The browser app, after Mesa's convention: ``solara run app.py`` serves it.

``python run.py viz [SCENARIO]`` checks the scenario, then serves this page with
the scenario to open on in ``EUPHRATES2017_SCENARIO``.
"""

import os

import solara

from viz.levers import DEFAULT_SCENARIO
from viz.page import CampaignPage

SCENARIO = os.environ.get("EUPHRATES2017_SCENARIO", DEFAULT_SCENARIO)


@solara.component
def Page():
    """The page Solara serves."""
    CampaignPage(scenario_name=SCENARIO)
