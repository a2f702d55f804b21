"""From a scenario to the model's opening state: control, units, commanders, air wings."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Polygon

from agents.air_wing import AirWing
from agents.commander import Commander, Objective
from agents.unit import Unit
from simulation.factions import AirArm, Faction, Posture
from simulation.geography import project
from simulation.roles import ROLES
from simulation.scenario import AreaSpec, Scenario, ScenarioError
from simulation.theatre import TheatreMap


def place_cell(tmap: TheatreMap, name: str, where: str) -> int:
    """Flat cell index of a named place; ScenarioError naming the key if unknown."""
    try:
        return tmap.place_cell[tmap.geography.place(name).name]
    except KeyError:
        raise ScenarioError(f"{where}: unknown place '{name}'") from None


def initial_control(tmap: TheatreMap, scenario: Scenario) -> np.ndarray:
    """Faction code per cell on the start date (later areas override earlier ones)."""
    control = np.full(tmap.n_cells, int(Faction[scenario.control.default]), dtype=np.int8)
    for i, area in enumerate(scenario.control.areas):
        control[area_mask(tmap, area, f"control.areas.{i}")] = int(Faction[area.faction])
    return control


def area_mask(tmap: TheatreMap, area: AreaSpec, where: str) -> np.ndarray:
    """Theatre cells an area of control covers (a place's disc always includes its cell)."""
    if area.governorates is not None:
        unknown = [g for g in area.governorates if g not in tmap.governorate_names]
        if unknown:
            raise ScenarioError(f"{where}.governorates: unknown governorate '{unknown[0]}'")
        codes = [tmap.governorate_names.index(g) for g in area.governorates]
        return np.isin(tmap.governorate, codes)
    if area.polygon is not None:
        return tmap.in_theatre & shapely.contains_xy(Polygon(area.polygon), tmap.lon, tmap.lat)
    k = place_cell(tmap, area.place, f"{where}.place")
    p = tmap.geography.place(area.place)
    px, py = project(p.lon, p.lat)
    mask = tmap.in_theatre & ((tmap.x_km - px) ** 2 + (tmap.y_km - py) ** 2 <= area.radius_km**2)
    mask[k] = True
    return mask


def point_cell(tmap: TheatreMap, spec, where: str) -> int:
    """Cell of a place name or a [lon, lat] pair."""
    if isinstance(spec, str):
        return place_cell(tmap, spec, where)
    lon, lat = spec
    if not tmap.geography.theatre_outline.contains(shapely.Point(lon, lat)):
        raise ScenarioError(f"{where}: point [{lon}, {lat}] lies outside the theatre")
    return tmap.nearest_cell(lon, lat)


def place_units(model, scenario: Scenario) -> None:
    """Create every unit on its faction's ground nearest to where the scenario puts it."""
    tmap = model.theatre
    for faction in Faction:
        spec = scenario.faction(faction.key)
        own = tmap.in_theatre & (model.control == faction)
        for i, u in enumerate(spec.units):
            where = f"{faction.key}.units.{i}"
            k = point_cell(tmap, u.place if u.place is not None else list(u.at), where)
            if not own[k]:
                if not own.any():
                    raise ScenarioError(f"{where}: {faction.name} holds no ground to stand on")
                d2 = np.where(own, (tmap.x_km - tmap.x_km[k]) ** 2 + (tmap.y_km - tmap.y_km[k]) ** 2, np.inf)
                k = int(np.argmin(d2))
            objective = place_cell(tmap, u.objective, f"{where}.objective") if u.objective else -1
            default_posture = "hold" if ROLES[faction].defends or u.objective else "attack"
            posture = Posture[(u.posture or default_posture).upper()]
            Unit(model, model.grid[tmap.coordinate(k)], name=u.name, faction=faction,
                 strength=u.strength, morale=u.morale, supply=u.supply, posture=posture,
                 objective=objective if objective >= 0 else (k if posture == Posture.HOLD else -1),
                 tied=u.objective is not None, air_supplied=u.air_supplied)


def make_commanders(model, scenario: Scenario) -> dict[Faction, Commander]:
    """One commander per faction, with its objectives and supply sources on the grid."""
    tmap = model.theatre
    commanders = {}
    for faction in Faction:
        spec = scenario.faction(faction.key)
        objectives = [Objective(o.place, place_cell(tmap, o.place, f"{faction.key}.objectives.{i}.place"), o.weight)
                      for i, o in enumerate(spec.objectives)]
        sources = [point_cell(tmap, s, f"{faction.key}.supply_sources.{i}") for i, s in enumerate(spec.supply_sources)]
        if not sources:
            raise ScenarioError(f"{faction.key}.supply_sources: {faction.name} needs at least one supply source")
        commanders[faction] = Commander(model, faction, objectives, np.array(sources))
    return commanders


def make_air_wings(model, scenario: Scenario) -> list[AirWing]:
    """The coalition and Russian air components from the scenario's budgets."""
    wings = []
    for arm, spec in ((AirArm.COALITION, scenario.air.coalition), (AirArm.RUSSIA, scenario.air.russia)):
        supports = {Faction[f]: spec.priority.get(f, 1.0) for f in spec.supports}
        wings.append(AirWing(model, arm, spec.sorties_per_day, spec.strikes_per_sortie, supports))
    return wings
