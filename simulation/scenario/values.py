"""The kinds of value a scenario holds, and the strict base every part of it is built on.

Shared by the scenario's sections (:mod:`.schema`) and the rules' parameters
(:mod:`.rule_params`), so that both say "a fraction" or "a place" the same way.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

def _not_a_boolean(value):
    """Refuse true/false where a number is wanted (pydantic would read true as 1)."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got " + ("true" if value else "false"))
    return value


Number = Annotated[float, BeforeValidator(_not_a_boolean)]
WholeNumber = Annotated[int, BeforeValidator(_not_a_boolean)]
Fraction = Annotated[Number, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[Number, Field(ge=0.0)]
Positive = Annotated[Number, Field(gt=0.0)]
LonLat = tuple[Annotated[Number, Field(ge=-180, le=180)], Annotated[Number, Field(ge=-90, le=90)]]
PlaceName = Annotated[str, Field(description="a place in simulation/data/places.csv, by name or alias")]
FactionName = Literal["ISIS", "SAA", "SDF", "ISF"]
SupportedFaction = Literal["SAA", "SDF", "ISF"]
FACTION_KEYS = ("isis", "saa", "sdf", "isf")


class Strict(BaseModel):
    """Base: unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)
