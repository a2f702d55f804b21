"""The scenario files: every one loads and runs, the seed-date maps say what the dates
say, and each variant changes what it claims to, compared with its base over seeds."""

from __future__ import annotations

import datetime as dt
import statistics
from functools import lru_cache
from pathlib import Path

import pytest

from simulation import ConflictModel, Faction, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
ALL_FILES = sorted(SCENARIOS.rglob("*.yaml"))
JULY = SCENARIOS / "2017-07-04_raqqa.yaml"
SEPTEMBER = SCENARIOS / "2017-09-05_deir_ez_zor.yaml"
NOVEMBER = SCENARIOS / "2017-11-03_abu_kamal.yaml"
VARIANTS = SCENARIOS / "variants"
# Each variant of the July scenario and the keys it changes (besides its name).
JULY_VARIANTS = {
    "no_russian_air": {"air.russia.sorties_per_day": 0},
    "no_coalition_air": {"air.coalition.sorties_per_day": 0},
    "sdf_30000": {"sdf.manpower": 30000},
    "deconfliction_off": {"rules.deconfliction.enabled": False},
    "fragile_deconfliction": {"rules.deconfliction.incident_rate": 0.05, "rules.deconfliction.breakdown_incidents": 3,
                              "rules.deconfliction.contact_km": 30},
    "turkish_pressure": {"sdf.fixed_commitment": 16700},
}

SEEDS = range(1, 7)
CELL_KM = 20  # coarse grid for the many-seed comparisons: a 180-day run takes seconds


# ---- every file -------------------------------------------------------------------------
def test_the_scenario_folder_holds_the_seed_dates_and_the_variants():
    names = {p.relative_to(SCENARIOS).as_posix() for p in ALL_FILES}
    assert {JULY.name, SEPTEMBER.name, NOVEMBER.name} <= names
    assert {f"variants/{v}.yaml" for v in JULY_VARIANTS} <= names


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_every_scenario_loads_and_runs_ten_days(path):
    scenario = load_scenario(path)
    model = ConflictModel(scenario, seed=1, cell_km=CELL_KM).run(days=10)
    assert model.steps == 10
    assert model.date == scenario.start + dt.timedelta(days=10)
    daily = model.daily
    assert len(daily) == 4 * 11
    total = daily.groupby("step").area_km2.sum() / model.theatre.theatre_area_km2
    assert total.between(0.999, 1.001).all()
    assert (daily.strength >= 0).all()


@pytest.mark.parametrize("path, start", [(JULY, dt.date(2017, 7, 4)), (SEPTEMBER, dt.date(2017, 9, 5)),
                                         (NOVEMBER, dt.date(2017, 11, 3))], ids=["july", "september", "november"])
def test_base_scenarios_start_on_their_seed_date_and_end_with_the_year(path, start):
    scenario = load_scenario(path)
    assert scenario.start == start
    assert scenario.end == dt.date(2017, 12, 31)
    assert scenario.cell_km == 10


@pytest.mark.parametrize("name", JULY_VARIANTS)
def test_variants_are_short_overlays_of_the_july_scenario(name):
    path = VARIANTS / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    assert "extends: ../2017-07-04_raqqa.yaml" in text
    assert text.lstrip().startswith("#"), "a variant opens with a comment saying what it changes and why"
    variant, base = load_scenario(path), load_scenario(JULY)
    assert variant.name != base.name
    changed = {k: v for k, v in flat(variant.model_dump()).items() if flat(base.model_dump()).get(k) != v}
    changed.pop("name")
    assert changed == JULY_VARIANTS[name]  # only what it claims; the rest is the base's


def flat(tree: dict, prefix: str = "") -> dict:
    """A nested mapping as dotted keys ('sdf.manpower'); lists stay whole."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


# ---- the opening maps -----------------------------------------------------------------------
def holder(model, place: str) -> Faction:
    return Faction(int(model.control[model.theatre.place_cell[place]]))


def share_of_governorate(model, faction: Faction, governorate: str) -> float:
    tmap = model.theatre
    in_gov = tmap.governorate == tmap.governorate_names.index(governorate)
    area = tmap.cell_area_km2
    return float(area[in_gov & (model.control == faction)].sum() / area[in_gov].sum())


@pytest.fixture(scope="module")
def september():
    return ConflictModel(load_scenario(SEPTEMBER), seed=1)


@pytest.fixture(scope="module")
def november():
    return ConflictModel(load_scenario(NOVEMBER), seed=1)


def test_september_opens_with_the_deir_ez_zor_siege_broken_and_raqqa_core_cut_off(september):
    m = september
    dez = m.theatre.place_cell["Deir ez-Zor"]
    assert holder(m, "Deir ez-Zor") == Faction.SAA
    assert m.supplied_at(Faction.SAA, dez), "the SAA corridor from Sukhnah reaches the city"
    assert m.supplied_at(Faction.SAA, m.theatre.place_cell["Sukhnah"])
    raqqa = m.theatre.place_cell["Raqqa"]
    assert holder(m, "Raqqa") == Faction.ISIS
    assert not m.supplied_at(Faction.ISIS, raqqa), "Raqqa's core has been ringed by the SDF since June"
    for place in ("Mayadeen", "Abu Kamal", "Hajin", "Ashara", "al-Omar oil field", "Ma'adan", "al-Qaim", "Anah", "Rawa"):
        assert holder(m, place) == Faction.ISIS, place
    for place, faction in (("Tal Afar", Faction.ISF), ("Mosul", Faction.ISF), ("Shaddadi", Faction.SDF),
                           ("Markada", Faction.SDF), ("Tabqa", Faction.SDF), ("Resafa", Faction.SAA)):
        assert holder(m, place) == faction, place
    assert share_of_governorate(m, Faction.ISIS, "Deir ez-Zor") > 0.85
    assert m.deconfliction.in_force and m.spec.rules.deconfliction.line == "euphrates"


def test_november_opens_after_raqqa_deir_ez_zor_mayadeen_and_al_qaim(november):
    m = november
    for place, faction in (("Raqqa", Faction.SDF), ("Deir ez-Zor", Faction.SAA), ("Mayadeen", Faction.SAA),
                           ("T2 station", Faction.SAA), ("al-Omar oil field", Faction.SDF),
                           ("Conoco gas field", Faction.SDF), ("al-Qaim", Faction.ISF), ("Anah", Faction.ISF),
                           ("Abu Kamal", Faction.ISIS), ("Hajin", Faction.ISIS), ("Rawa", Faction.ISIS)):
        assert holder(m, place) == faction, place
    for place, faction in (("Deir ez-Zor", Faction.SAA), ("Mayadeen", Faction.SAA), ("al-Qaim", Faction.ISF),
                           ("Raqqa", Faction.SDF)):
        assert m.supplied_at(faction, m.theatre.place_cell[place]), place
    assert 0.25 <= share_of_governorate(m, Faction.ISIS, "Deir ez-Zor") <= 0.40  # "about a third" (NYT, 3 Nov 2017)
    # The model's own per-governorate table says the same.
    gov = m.daily_by_governorate
    gov = gov[(gov.step == 0) & (gov.governorate == "Deir ez-Zor")].set_index("faction").area_km2
    assert 0.25 <= gov["ISIS"] / gov.sum() <= 0.40


@pytest.mark.parametrize("cell_km", [5, 20])
def test_november_isis_share_holds_on_other_grids(cell_km):
    m = ConflictModel(load_scenario(NOVEMBER), seed=1, cell_km=cell_km)
    assert 0.25 <= share_of_governorate(m, Faction.ISIS, "Deir ez-Zor") <= 0.40


# ---- the variants' effects over seeds -----------------------------------------------------
@lru_cache(maxsize=None)
def run(path: Path, seed: int, days: int | None = None, cell_km: float = CELL_KM,
        until_breakdown: bool = False) -> ConflictModel:
    """One run, cached so a base serves every comparison that needs it.

    Records the first day the SAA holds the Deir ez-Zor city cell connected to its
    supply (the siege relieved) as ``model.dez_relieved_step`` (None if never). With
    ``until_breakdown`` the run stops on the day the deconfliction arrangement ends.
    """
    model = ConflictModel(load_scenario(path), seed=seed, cell_km=cell_km)
    dez = model.theatre.place_cell["Deir ez-Zor"]
    model.dez_relieved_step = 0 if model.supplied_at(Faction.SAA, dez) else None
    for _ in range(model.spec.days if days is None else days):
        model.step()
        if model.dez_relieved_step is None and model.supplied_at(Faction.SAA, dez):
            model.dez_relieved_step = model.steps
        if until_breakdown and not model.deconfliction.in_force:
            break
    return model


def runs(path: Path, days: int | None = None, **kwargs) -> list[ConflictModel]:
    return [run(path, s, days, **kwargs) for s in SEEDS]


def faction_rows(model, faction: Faction):
    d = model.daily
    return d[d.faction == faction.name].set_index("step")


def area_gained(model, faction: Faction, by_step: int) -> float:
    rows = faction_rows(model, faction)
    return float(rows.area_km2.loc[by_step] - rows.area_km2.loc[0])


def mean_over(model, faction: Faction, column: str, by_step: int) -> float:
    rows = faction_rows(model, faction)
    return float(rows[column].loc[1:by_step].mean())


def saa_sdf_fights(model) -> int:
    e = model.engagements
    pairs = e.attacker + "-" + e.defender
    return int(pairs.isin(["SAA-SDF", "SDF-SAA"]).sum())


def strikes_by(model, arm: str) -> int:
    s = model.strikes
    return int(s.strikes[s.air_arm == arm].sum())


@pytest.mark.slow
def test_no_russian_air_means_no_russian_strikes_and_a_later_relief_of_deir_ez_zor():
    base, variant = runs(JULY), runs(VARIANTS / "no_russian_air.yaml")
    assert all(strikes_by(m, "russia") > 0 for m in base)
    assert all(strikes_by(m, "russia") == 0 for m in variant)
    never = 10**6
    base_relief = statistics.median(m.dez_relieved_step or never for m in base)
    variant_relief = statistics.median(m.dez_relieved_step or never for m in variant)
    assert base_relief < never, "the base relieves Deir ez-Zor on the median"
    assert variant_relief > base_relief, (base_relief, variant_relief)


@pytest.mark.slow
def test_no_coalition_air_means_no_coalition_strikes_and_smaller_sdf_gains_by_day_90():
    base, variant = runs(JULY), runs(VARIANTS / "no_coalition_air.yaml", 90)
    assert all(strikes_by(m, "coalition") > 0 for m in base)
    assert all(strikes_by(m, "coalition") == 0 for m in variant)
    gained = [statistics.median(area_gained(m, Faction.SDF, 90) for m in ms) for ms in (base, variant)]
    assert gained[1] < gained[0], gained


@pytest.mark.slow
def test_sdf_at_30000_is_more_overstretched():
    base, variant = runs(JULY), runs(VARIANTS / "sdf_30000.yaml", 90)
    assert all(m.spec.sdf.manpower == 30000 for m in variant)
    stretch = [statistics.median(mean_over(m, Faction.SDF, "overstretch", 90) for m in ms) for ms in (base, variant)]
    assert stretch[1] > stretch[0], stretch


@pytest.mark.slow
def test_without_deconfliction_saa_and_sdf_are_enemies_from_the_start_and_fight():
    opening = ConflictModel(load_scenario(VARIANTS / "deconfliction_off.yaml"), seed=1, cell_km=CELL_KM)
    assert not opening.deconfliction.in_force
    assert opening.is_hostile(Faction.SAA, Faction.SDF) and opening.is_hostile(Faction.SDF, Faction.SAA)
    variant = runs(VARIANTS / "deconfliction_off.yaml")
    assert all(not m.deconfliction.in_force for m in variant)
    fought = [saa_sdf_fights(m) > 0 for m in variant]
    assert sum(fought) >= 1, [saa_sdf_fights(m) for m in variant]
    base = runs(JULY)
    assert sum(saa_sdf_fights(m) > 0 for m in base) < sum(fought)


@pytest.mark.slow
def test_a_fragile_line_breaks_down_in_most_runs():
    # At 10 km: with 20 km cells, units of the two sides in neighbouring cells stand
    # 20 km apart, beyond the base's 15 km contact range, so the base could never break.
    variant = runs(VARIANTS / "fragile_deconfliction.yaml", cell_km=10, until_breakdown=True)
    broke = [m.deconfliction.broken_on_step for m in variant if not m.deconfliction.in_force]
    assert len(broke) > len(SEEDS) / 2, [m.deconfliction.incidents for m in variant]
    assert all((m.events.event == "deconfliction_breakdown").sum() == 1 for m in variant if not m.deconfliction.in_force)
    # The base, over the same days, keeps the arrangement in more runs.
    base = runs(JULY, max(broke), cell_km=10, until_breakdown=True)
    assert sum(not m.deconfliction.in_force for m in base) < len(broke)


@pytest.mark.slow
def test_turkish_pressure_shrinks_the_sdf_manoeuvre_force_and_stretches_it():
    # A third of the SDF tied down leaves less to manoeuvre and a higher overstretch
    # ratio; while that ratio stays below 1 the rule does not slow its advance, so
    # ground gained is not asserted (it barely moves: see the issue 3 closing note).
    base, variant = runs(JULY), runs(VARIANTS / "turkish_pressure.yaml", 90)
    assert all(m.spec.sdf.fixed_commitment == pytest.approx(16700) for m in variant)
    manoeuvre = [statistics.median(mean_over(m, Faction.SDF, "manoeuvre", 90) for m in ms) for ms in (base, variant)]
    assert manoeuvre[1] < manoeuvre[0], manoeuvre
    stretch = [statistics.median(mean_over(m, Faction.SDF, "overstretch", 90) for m in ms) for ms in (base, variant)]
    assert stretch[1] > stretch[0], stretch


