"""Supply traced through held ground: sieges form and break."""

import numpy as np

from simulation.factions import Faction
from simulation.rules import supply
from simulation.theatre import theatre_map


def ring_around(tmap, k):
    return np.unique(tmap.neighbours[k][tmap.neighbours[k] >= 0])


def test_a_ringed_pocket_is_cut_off_and_relieved_when_the_ring_breaks():
    tmap = theatre_map(10.0)
    control = np.full(tmap.n_cells, int(Faction.SAA), dtype=np.int8)
    town = tmap.place_cell["Deir ez-Zor"]
    source = tmap.place_cell["Palmyra"]
    ring = ring_around(tmap, town)
    control[ring] = Faction.ISIS
    held = tmap.in_theatre & (control == Faction.SAA)
    labels = np.where(held, supply.held_components(tmap, control), -1)
    connected = supply.supply_connected(labels, held, [source])
    assert connected[source] and not connected[town]
    besieged = held & ~connected
    assert len(supply.pockets_formed(held, besieged, labels)) == 1

    control[ring[0]] = Faction.SAA  # a column breaks through
    held2 = tmap.in_theatre & (control == Faction.SAA)
    labels2 = np.where(held2, supply.held_components(tmap, control), -1)
    connected2 = supply.supply_connected(labels2, held2, [source])
    relieved = supply.pockets_relieved(besieged, labels, connected2)
    assert connected2[town] and len(relieved) == 1 and town in relieved[0]


def test_units_cut_off_lose_supply_slowly_if_supplied_by_air():
    level = supply.update_supply(np.array([1.0, 1.0, 0.5]), np.array([False, False, True]),
                                 np.array([False, True, False]), 0.08, 0.01, 0.25)
    assert level[0] == 0.92 and level[1] == 0.99 and level[2] == 0.75


def test_supply_distance_runs_through_own_ground_and_slows_advances_far_from_it():
    from simulation.rules.movement import terrain_cost
    from simulation.scenario import MovementRules

    tmap = theatre_map(10.0)
    control = np.full(tmap.n_cells, int(Faction.ISIS), dtype=np.int8)
    source, town = tmap.place_cell["Palmyra"], tmap.place_cell["Deir ez-Zor"]
    control[source] = control[ring_around(tmap, source)] = Faction.SAA
    control[town] = Faction.SAA  # an enclave, not linked to the source
    isis_source = tmap.place_cell["Mayadeen"]
    dist = supply.supply_distances_km(tmap, control, {int(Faction.SAA): np.array([source]),
                                                      int(Faction.ISIS): np.array([isis_source])},
                                      terrain_cost(tmap, MovementRules()))
    saa, isis = dist[int(Faction.SAA)], dist[int(Faction.ISIS)]
    assert saa[source] == 0 and np.isfinite(saa[ring_around(tmap, source)]).all()
    assert np.isinf(saa[town])  # cut off
    front = [k for k in ring_around(tmap, ring_around(tmap, source)[0]) if control[k] == Faction.ISIS]
    assert front and all(saa[k] > saa[ring_around(tmap, source)].min() for k in front)
    assert isis[isis_source] == 0 and np.isinf(isis[source])  # SAA ground is not ISIS's road
    tempo = supply.logistics_tempo(np.array([0.0, 100.0, np.inf]), 100.0, 3.0)
    assert list(tempo) == [1.0, 0.5, 0.25]


def test_the_models_supply_traced_day_after_day_is_a_whole_trace_of_the_days_map():
    from simulation import ConflictModel

    model = ConflictModel.from_scenario("2017-07-04_raqqa", seed=3, cell_km=20).run(25)
    for moved_sources in (False, True):
        if moved_sources:  # a side given other sources is traced from them
            held = np.flatnonzero(model.control == int(Faction.SDF))
            model.commanders[Faction.SDF].source_cells = held[:: max(1, held.size // 3)]
        model.trace_supply(announce=False)  # today's map, traced from yesterday's trace
        sources = {int(f): model.commanders[f].source_cells for f in Faction}
        distances, linked, by_side = supply.supply_network(model.theatre, model.control, sources,
                                                           model.terrain_cost, len(Faction))
        for f in Faction:
            assert np.array_equal(model.supply_km[f], distances[int(f)])
            assert np.array_equal(model.supplied[f], by_side[int(f)])
