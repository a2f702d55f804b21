"""The factions and the discrete states the rules key off."""

from __future__ import annotations

from enum import IntEnum


class Faction(IntEnum):
    """Ground factions; the value is the code stored in the control layer."""

    ISIS = 0
    SAA = 1  # Syrian government and its allies (Iranian-backed militias, Hezbollah)
    SDF = 2  # Kurdish-led Syrian Democratic Forces
    ISF = 3  # Iraqi forces: army, police and Popular Mobilisation Forces

    def __str__(self) -> str:  # "SDF", not "2", when printed in a notebook
        return self.name

    @property
    def key(self) -> str:
        """Lower-case name, as used for scenario keys (``sdf.manpower``)."""
        return self.name.lower()

    @classmethod
    def from_key(cls, key: str) -> Faction:
        """The faction named ``key`` (case-insensitive); ValueError if none."""
        try:
            return cls[key.upper()]
        except KeyError:
            names = ", ".join(f.name for f in cls)
            raise ValueError(f"unknown faction '{key}' (expected one of {names})") from None


FACTIONS = tuple(Faction)


class Posture(IntEnum):
    """What a unit is doing today, set by its commander."""

    HOLD = 0
    ATTACK = 1
    WITHDRAW = 2
    ASSEMBLE = 3  # moving up to an objective through own ground, not yet attacking


class AirArm(IntEnum):
    """The two air components."""

    COALITION = 0  # US-led coalition: supports SDF and ISF
    RUSSIA = 1  # Russian Aerospace Forces: supports SAA
