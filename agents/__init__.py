"""The Mesa agents: ground units, faction commanders and air wings."""

from agents.air_wing import AirWing
from agents.commander import Commander
from agents.unit import Unit

__all__ = ["AirWing", "Commander", "Unit"]
