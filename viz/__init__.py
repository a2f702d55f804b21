"""The interactive map in the browser, on Mesa's SolaraViz: ``python run.py viz``."""

import warnings

# Solara's hook checker flags Mesa's own ComponentsView (a hook after an early
# return for an empty component list). We always pass an empty list, so the
# order of hooks never changes; the warning says nothing about this app.
warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return",
                        category=UserWarning)
