"""A ground formation: a few hundred to a few thousand fighters on one hex cell."""

from __future__ import annotations

from mesa.discrete_space import CellAgent

from simulation.factions import Faction, Posture
from simulation.rules import combat


class Unit(CellAgent):
    """A ground unit of one faction.

    Attributes:
        name: the formation's name from the scenario.
        faction: its side.
        strength: fighters, never negative.
        establishment: full strength, fighters (what reinforcement tops it up to).
        morale: 0-1; below the break threshold the unit gives way.
        supply: 0-1; falls while cut off from its faction's sources.
        posture: HOLD, ATTACK, ASSEMBLE or WITHDRAW, set daily by its commander.
        objective: flat index of the cell it is heading for or holding (-1 none).
        tied: True if the scenario ties it to its objective (garrisons).
        home: the cell a tied unit holds (its first objective; -1 if not tied).
        air_supplied: supplied by air when cut off (besieged garrisons).
        progress_km: movement earned but not yet spent on a costly step, km.
        k: flat index of the cell it stands on.
    """

    def __init__(self, model, cell, *, name: str, faction: Faction, strength: float,
                 morale: float, supply: float, posture: Posture, objective: int,
                 tied: bool, air_supplied: bool):
        super().__init__(model)
        self.cell = cell
        col, row = cell.coordinate
        self.k = col * model.theatre.height + row
        self.name = name
        self.faction = faction
        self.strength = float(strength)
        self.establishment = float(strength)
        self.morale = float(morale)
        self.supply = float(supply)
        self.posture = posture
        self.objective = int(objective)
        self.tied = tied
        self.home = int(objective) if tied else -1
        self.air_supplied = air_supplied
        self.progress_km = 0.0


    @property
    def quality(self) -> float:
        """Fighting quality 0-1 from morale and supply (:func:`~simulation.rules.combat.fire_quality`)."""
        return combat.fire_quality(self.morale, self.supply, self.model.rules.combat)

    def move_to_index(self, k: int) -> None:
        """Step to the cell with flat index ``k``."""
        self.cell = self.model.grid[self.model.theatre.coordinate(k)]
        self.k = int(k)

    def march(self) -> None:
        """Walk down the commander's distance field toward the objective.

        Friendly steps are taken while movement lasts; an empty hostile cell is
        taken on the way; a hostile cell with enemy units in it stops the march
        and is declared as today's attack (once in contact, a unit attacks daily).
        """
        model = self.model
        if self.posture == Posture.HOLD or self.objective < 0:
            self.progress_km = 0.0
            return
        plan = model.commanders[self.faction].route
        self.progress_km += model.march_budget_km(self)
        enemy_ground = model.hostile[self.faction]  # whether ground of each holder is enemy ground
        k = self.k
        while True:
            # The steps over ground that is not the enemy's, as far as movement lasts.
            k, self.progress_km, nxt, cost = plan.walk(self.objective, k, self.progress_km, model.control,
                                                       enemy_ground)
            if nxt < 0:  # there, or stuck
                break
            if not enemy_ground[model.control[nxt]]:  # movement ran out before the next step
                self._stand_at(k)
                return
            if self.posture == Posture.ATTACK and model.enemy_units_in(nxt, self.faction):
                # A unit in contact fights every day; movement points buy ground, not fights.
                model.declare_attack(self, nxt, k)
                break
            # Clearing enemy ground slows as the column's supply line lengthens.
            cost = cost / model.logistics_tempo(self.faction, nxt)
            if self.progress_km < cost:
                self._stand_at(k)
                return
            if self.posture != Posture.ATTACK:
                break
            model.take_cells(nxt, self.faction)
            self.progress_km -= cost
            k = nxt
        self._stand_at(k)
        self.progress_km = 0.0

    def _stand_at(self, k: int) -> None:
        """End a march on cell k (the cells passed on the way are left as they were)."""
        if k != self.k:
            self.move_to_index(k)

    def suffer(self, fighters: float, morale_hit: float) -> float:
        """Lose fighters (never below zero) and morale; returns the fighters lost."""
        lost = min(self.strength, max(0.0, float(fighters)))  # plain floats: numpy's scalars are slow to add
        self.strength -= lost
        self.morale = max(0.0, self.morale - float(morale_hit))
        self.model.manpower[self.faction] -= lost
        return lost

    def __repr__(self) -> str:
        return f"Unit({self.name!r}, {self.faction.name}, {self.strength:.0f} fighters)"
