"""Deconfliction: who is hostile to whom, and incidents."""

import numpy as np

from simulation.factions import Faction
from simulation.roles import hostility_matrix
from simulation.rules.deconfliction import roll_incidents


def test_hostility_with_and_without_the_arrangement():
    on, off = hostility_matrix(True), hostility_matrix(False)
    for f in (Faction.SAA, Faction.SDF, Faction.ISF):
        assert on[f, Faction.ISIS] and on[Faction.ISIS, f]
    assert not on[Faction.SAA, Faction.SDF] and not on[Faction.SDF, Faction.SAA]
    assert off[Faction.SAA, Faction.SDF] and off[Faction.SDF, Faction.SAA]
    assert not off[Faction.ISF, Faction.SAA] and not off[Faction.ISF, Faction.SDF]
    assert not on.diagonal().any()


def test_incidents_scale_with_contacts():
    rng = np.random.default_rng(0)
    assert roll_incidents(0, 0.5, rng) == 0
    few = sum(roll_incidents(2, 0.1, rng) for _ in range(2000))
    many = sum(roll_incidents(20, 0.1, rng) for _ in range(2000))
    assert 5 * few < many
