"""How far one simulation lies from the record: the mean error, in days, over the training statistics.

Each statistic's error is zero inside the record's range and grows outside it:

- a dated event: the days the run's date lies outside the reported range (a run that
  never reaches the event counts as the day after it ends, so a miss costs at least
  the days left in the run, as in ``run.py score``);
- a share of a city or a governorate (0-1): the share outside the reported range,
  at :data:`DAYS_PER_SHARE` days per whole share, so 0.10 off weighs as 10 days off.
  Raqqa's SDF share grew by about 0.06 every 10 days from July to October 2017, so
  a share 0.10 off is roughly a run a fortnight ahead or behind, and 10 days is the
  milder reading;
- ISIS fighters round a city: the factor by which the run's count lies outside the
  reported range, at :data:`DAYS_PER_DOUBLING` days per doubling, counted on
  fighters + :data:`FIGHTER_OFFSET` so that a cleared city (0 against a reported 300)
  is a finite miss. The record's counts are rough (ranges of 25-75%), which the range
  already absorbs; a count twice too high or low outside it is a clear miss.

The distance is the mean of the errors: epsilon reads as "mean days off per
statistic", the same unit in every generation and comparable with ``run.py score``'s
error in days. Every training statistic weighs the same, whatever its confidence.

Why not pyabc's ``AdaptivePNormDistance``, which scales each statistic by its spread
over the last generation: the record gives ranges, not points, and a distance that is
zero inside a range is not a p-norm of differences; many statistics are tied at
"never" across most particles early on, which gives a spread of zero and an infinite
weight; and weights that change each generation leave epsilon without a unit, so
generations cannot be compared or a minimum epsilon set in days.
"""

from __future__ import annotations

import math

from analysis.inference.summaries import Target

DAYS_PER_SHARE = 100.0  # days of error per whole share (0.10 of a share: 10 days)
DAYS_PER_DOUBLING = 20.0  # days of error per doubling of ISIS fighters outside the reported range
FIGHTER_OFFSET = 100.0  # fighters added before taking ratios (twice the model's unit_destroyed_below)


def error_days(target: Target, value: float) -> float:
    """One statistic's error in days: 0 inside the record's range."""
    if math.isnan(value):
        return math.inf  # a statistic a run could not give: never accepted
    if target.kind == "isis_fighters":
        if target.low <= value <= target.high:
            return 0.0
        bound = target.low if value < target.low else target.high
        return DAYS_PER_DOUBLING * abs(math.log2((value + FIGHTER_OFFSET) / (bound + FIGHTER_OFFSET)))
    outside = max(0.0, value - target.high) + max(0.0, target.low - value)
    return outside * (DAYS_PER_SHARE if target.kind.startswith("share_") else 1.0)


class RecordDistance:
    """The fit's distance: the mean error in days over the targets (a picklable callable for pyabc).

    Args:
        targets: the training statistics and the record's range of each
            (:func:`analysis.inference.summaries.targets`).
    """

    def __init__(self, targets: tuple[Target, ...]):
        self.targets = tuple(targets)

    def __call__(self, x: dict, x_0: dict | None = None) -> float:
        """The distance of one simulation's statistics ``x`` (``x_0``, the record's middles, is not needed)."""
        return sum(error_days(t, x[t.id]) for t in self.targets) / len(self.targets)

    def errors(self, x: dict) -> dict[str, float]:
        """Each statistic's error in days, for a report."""
        return {t.id: error_days(t, x[t.id]) for t in self.targets}
