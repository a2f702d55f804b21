"""The hex grid over the theatre: areas, layout, layers."""

import random

import numpy as np
import pytest

from simulation import ConflictModel
from simulation.mesa_compat import make_hex_grid, theatre_hex_grid
from simulation.theatre import Country, Terrain, neighbour_offsets, theatre_map

WHOLLY_INSIDE = {"Raqqa": 19_616, "Deir ez-Zor": 33_060, "Hasakah": 23_334}


@pytest.mark.parametrize("cell_km", [5.0, 10.0, 20.0])
def test_governorates_wholly_inside_match_official_area(cell_km):
    tmap = theatre_map(cell_km)
    for name, official in WHOLLY_INSIDE.items():
        g = tmap.governorate_names.index(name)
        area = tmap.cell_area_km2[tmap.governorate == g].sum()
        assert abs(area - official) / official < 0.15, (name, area)


@pytest.mark.parametrize("cell_km", [5.0, 10.0, 20.0])
def test_cell_areas_add_up_to_the_theatre(cell_km):
    tmap = theatre_map(cell_km)
    assert tmap.theatre_area_km2 == pytest.approx(tmap.in_theatre.sum() * np.sqrt(3) / 2 * cell_km**2)
    assert (tmap.cell_area_km2[~tmap.in_theatre] == 0).all()


def test_neighbours_follow_mesa_hexgrid_and_geometry():
    tmap = theatre_map(20.0)
    grid = make_hex_grid(tmap, random=random.Random(0))  # as the model makes it: with a generator of its own
    rng = np.random.default_rng(0)
    for k in rng.choice(np.flatnonzero(tmap.in_theatre), 200, replace=False):
        ours = {tmap.coordinate(j) for j in tmap.neighbours[k] if j >= 0}
        cell = grid[tmap.coordinate(k)]
        mesa = {c.coordinate for c in cell.neighborhood
                if tmap.in_theatre[c.coordinate[0] * tmap.height + c.coordinate[1]]}
        assert ours == mesa
        # Every neighbour's centre is one cell size away: the layout matches the geography.
        for j in tmap.neighbours[k][tmap.neighbours[k] >= 0]:
            assert np.hypot(tmap.x_km[j] - tmap.x_km[k], tmap.y_km[j] - tmap.y_km[k]) == pytest.approx(20.0)


@pytest.mark.parametrize(("dimensions", "torus"), [((72, 67), False), ((5, 4), False), ((1, 1), False),
                                                   ((4, 7), False), ((58, 84), True), ((6, 4), True)])
def test_the_theatre_grid_links_its_cells_as_mesa_does(dimensions, torus):
    """On the 10 km theatre's grid (72 x 67), small and odd ones, and wrapping ones (left to Mesa;
    in Mesa 3.5 a wrapping hex grid must be even both ways)."""
    from mesa.discrete_space import HexGrid

    mesa_grid = HexGrid(dimensions, torus=torus, random=random.Random(0))
    ours = theatre_hex_grid()(dimensions, torus=torus, random=random.Random(0))
    assert list(ours._cells) == list(mesa_grid._cells)
    for coordinate, cell in mesa_grid._cells.items():
        mine = ours._cells[coordinate]
        # The same keys in the same order, to the same neighbours (cells of our own grid).
        assert list(mine.connections) == list(cell.connections)
        assert [c.coordinate for c in mine.connections.values()] == [c.coordinate for c in cell.connections.values()]
        assert all(c is ours._cells[c.coordinate] for c in mine.connections.values())
        assert [c.coordinate for c in mine.neighborhood] == [c.coordinate for c in cell.neighborhood]


def test_odd_rows_are_shifted_left():
    assert set(neighbour_offsets(1)) == {(-1, -1), (0, -1), (-1, 0), (1, 0), (-1, 1), (0, 1)}
    tmap = theatre_map(10.0)
    k_even, k_odd = 0 * tmap.height + 0, 0 * tmap.height + 1
    assert tmap.x_km[k_odd] == pytest.approx(tmap.x_km[k_even] - 5.0)


def test_places_land_in_their_country_with_layers():
    tmap = theatre_map(10.0)
    for p in tmap.geography.places:
        k = tmap.place_cell[p.name]
        assert tmap.in_theatre[k]
        assert tmap.country[k] == (Country.SYRIA if p.country == "Syria" else Country.IRAQ)
    assert tmap.terrain[tmap.place_cell["Raqqa"]] == Terrain.URBAN
    assert tmap.terrain[tmap.place_cell["Mayadeen"]] == Terrain.URBAN
    assert (tmap.terrain == Terrain.RIVER_VALLEY).sum() > 50
    assert tmap.population[tmap.place_cell["Raqqa"]] >= 220_000


def test_euphrates_banks():
    tmap = theatre_map(10.0)
    north_east = ["Raqqa", "Hajin", "Conoco gas field", "al-Omar oil field", "Hasakah", "Rawa"]
    south_west = ["Deir ez-Zor", "Mayadeen", "Abu Kamal", "Palmyra", "Anah"]
    assert all(tmap.bank[tmap.place_cell[n]] == 1 for n in north_east)
    assert all(tmap.bank[tmap.place_cell[n]] == -1 for n in south_west)


def test_rivers_cost_a_crossing():
    tmap = theatre_map(10.0)
    assert tmap.crosses_river.any()
    # The Euphrates between Raqqa (north bank) and the desert south of it.
    raqqa = tmap.place_cell["Raqqa"]
    assert tmap.crosses_river[raqqa].any() or any(tmap.crosses_river[j].any() for j in tmap.neighbours[raqqa])


def test_model_grid_carries_the_property_layers(july):
    model = ConflictModel(july, seed=1, cell_km=20)
    for name in ["country", "governorate", "terrain", "population", "bank", "place",
                 "control", "cell_area_km2"]:
        layer = getattr(model.grid, name)
        assert layer.data.shape == (model.theatre.width, model.theatre.height)
    model.control[0] = 3
    assert model.grid.control.data.reshape(-1)[0] == 3  # the flat view writes through
