"""Work-arounds for differences between the Mesa 3.x versions we support.

Mesa 3.3 numbers agents with a class-level ``Agent._ids`` dictionary keyed by model,
which keeps every model ever built alive (with its grid and agents): a sweep of many
runs in one worker process grows by megabytes per run. Mesa 3.4+ numbers agents per
model and has no such dictionary. Keying the counters weakly lets finished models go.
"""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict

from mesa import Agent


class _AgentCounters(weakref.WeakKeyDictionary):
    """Per-model agent id counters that do not keep their models alive."""

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


def release_finished_models() -> None:
    """Replace Mesa 3.3's strong per-model id counters with weak ones (no-op elsewhere)."""
    if isinstance(getattr(Agent, "_ids", None), defaultdict):
        counters = _AgentCounters()
        counters.update(Agent._ids)
        Agent._ids = counters
