"""The rules' parameters: one section per rule, each field with its default, unit and meaning.

Defaults live here so that a scenario file states only what it changes
(``rules: {combat: {substeps: 8}}``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simulation.scenario.values import FactionName, Fraction, LonLat, NonNegative, Positive, Strict, WholeNumber


class MovementRules(Strict):
    """Movement on least-cost distance fields (costs in km-equivalents)."""

    march_km_per_day: Positive = Field(
        20.5, description="km-equivalents a unit covers per day at full supply, halts, mines and ambushes allowed for")
    hostile_ground_cost: Positive = Field(
        14.6, description="cost factor on enemy ground (clearing it): a column enters it at about march_km_per_day / (0.5 (1 + this)) km/day")
    valley_cost: Positive = Field(1.3, description="cost factor in river valleys (irrigated, built up)")
    urban_cost: Positive = Field(3.0, description="cost factor in towns")
    river_crossing_km: NonNegative = Field(30.0, description="km-equivalents added to cross a river")
    zone_of_control_km: Positive = Field(15.0, description="reach of attacking units' pull on empty enemy cells, km")
    sweep_km_per_day: Positive = Field(
        5.42, description="how fast a front rolls over undefended enemy ground, km/day (the SAA's 2017 desert drive averaged 3-5)")
    hold_reach_km: Positive = Field(40.0, description="ground with none of its holder's units this close is unheld, km")
    unheld_sweep_share: Fraction = Field(
        0.4, description="pace at which unheld enemy ground erodes from its edges, as a share of a sweep")
    logistics_reach_km: Positive = Field(
        100.0, description="road distance from its supply sources at which a force advances at half speed, km")
    unsupported_advance_cost: Annotated[float, Field(ge=1.0)] = Field(
        1.6, description="extra cost factor on enemy ground without air cover (at least 1)")
    air_cover_strikes: Positive = Field(40.0, description="strikes a day in a faction's support for full air cover")
    unsupplied_march_share: Fraction = Field(
        0.5, description="share of a supplied unit's daily march that a unit with no supply left still covers "
                         "(assumption, not fitted: on foot, at about half pace)")
    cut_off_reaches: Positive = Field(
        3.0, description="ground cut off from every supply source counts as this many logistics_reach_km away "
                         "(3: a quarter speed), so besieged garrisons can still sortie (assumption)")
    zone_of_control_min_neighbours: Annotated[WholeNumber, Field(ge=1, le=6)] = Field(
        2, description="own neighbouring cells an empty enemy cell needs before a zone of control takes it (1-6); "
                       "2 widens a front and fills its flanks but does not push a spearhead past its fighting")


class CombatRules(Strict):
    """Lanchester square-law attrition with terrain modifiers and noise."""

    kill_rate_per_day: Positive = Field(0.00605, description="fighters killed per fighter per day (square law)")
    urban_defence: Positive = Field(2.0, description="defence factor in towns")
    urban_defence_reference_people: Positive = Field(
        50_000.0, description="a town this size gives urban_defence; bigger cities more, with the square root of their people")
    urban_frontage: Positive = Field(2.0, description="attackers per defender who can engage at once in a town")
    urban_frontage_per_1000_people: NonNegative = Field(
        12.0, description="attackers who can engage at once in a town per 1,000 inhabitants (when more than per defender)")
    river_defence: Positive = Field(1.5, description="defence factor against attackers crossing a river")
    hold_defence: Positive = Field(1.2, description="defence factor when all defenders hold")
    noise_sd: NonNegative = Field(0.25, description="log-normal noise on each side's kill rate (log-sd)")
    substeps: Annotated[WholeNumber, Field(ge=1, le=50)] = Field(4, description="Euler steps per day (1-50)")
    break_ratio: Positive = Field(2.0, description="the defence breaks when attackers outnumber it this much")
    unit_destroyed_below: NonNegative = Field(50.0, description="units under this many fighters are removed")
    city_min_people: NonNegative = Field(
        40_000.0, description="a named place this populous is a city: once an attacker holds its edges its defence "
                              "breaks only on morale (rules/urban.py)")
    city_edge_neighbours: Annotated[WholeNumber, Field(ge=1, le=6)] = Field(
        3, description="neighbouring cells (of six) an attacker holds round a city for its streets to be contested")
    unsupplied_fire_share: Fraction = Field(
        0.5, description="share of its full fire a unit with no supply left still brings (quality = morale x "
                         "(this + (1 - this) x supply)); assumption: a starving unit fights at half")


class SupplyRules(Strict):
    """Supply traced through held ground from each faction's sources."""

    decay_per_day: Fraction = Field(0.08, description="supply lost per day when cut off")
    air_supplied_decay_per_day: Fraction = Field(0.01, description="supply lost per day when cut off but air-supplied")
    recovery_per_day: Fraction = Field(0.25, description="supply regained per day when connected")
    unsupplied_attrition_per_day: Fraction = Field(0.005, description="share of strength lost per day at zero supply")


class MoraleRules(Strict):
    """Morale: falls with losses, strikes, hunger and overstretch; recovers at rest."""

    loss_sensitivity: NonNegative = Field(0.5, description="morale lost per share of strength lost in a fight")
    recovery_per_day: Fraction = Field(0.0138, description="morale regained per day at rest and supplied")
    unsupplied_loss_per_day: Fraction = Field(
        0.003, description="morale lost per day while supply is below unsupplied_below_supply")
    overstretch_loss_per_day: Fraction = Field(0.01, description="morale lost per day at overstretch 2 or more")
    break_morale: Fraction = Field(0.15, description="a defence below this morale breaks")
    place_loss_shock: Fraction = Field(0.02, description="morale every unit loses when its side loses a named place")
    rest_min_supply: Fraction = Field(
        0.5, description="a unit at rest recovers morale only with supply above this (0-1)")
    unsupplied_below_supply: Fraction = Field(
        0.3, description="a unit loses unsupplied_loss_per_day while its supply is below this (0-1)")
    recovery_ceiling: Fraction = Field(
        0.9, description="rest lifts morale no higher than this (0-1); losses in a day can still start from above it")
    place_loss_full_people: Positive = Field(
        100_000.0, description="a named place this populous (a city), lost, costs every unit of its side the full "
                               "place_loss_shock; smaller places in proportion to their people")


class ReinforcementRules(Strict):
    """Units are topped up from, or drained to garrisons by, the faction's pool."""

    top_up_per_day: Fraction = Field(0.03, description="share of establishment a unit may regain per day")
    drain_per_day: Fraction = Field(0.02, description="share of the garrison deficit drained from units per day")


class CommandRules(Strict):
    """When commanders attack, hold or withdraw."""

    attack_min_morale: Fraction = Field(0.35, description="units attack only with at least this morale")
    attack_min_supply: Fraction = Field(0.3, description="units attack only with at least this supply")
    withdraw_below_strength: Fraction = Field(0.25, description="units below this share of establishment withdraw")
    attack_force_ratio: Positive = Field(1.5, description="fighters sent per defender before an attack goes in")
    counterattack_ratio: Positive = Field(
        1.5, description="units strike enemy units within reach, and garrisons sortie, when this many times stronger")
    counterattack_reach_km: Positive = Field(25.0, description="reach for counter-attacks and force ratios, km")
    objective_distance_scale_km: Positive = Field(
        200.0, description="an objective this far away (km of route) scores half its weight: "
                           "score = weight / (1 + distance / this)")
    spread_fighters: Positive = Field(
        3000.0, description="each this many fighters already bound for an objective halves its pull on the next unit, "
                            "so one objective does not soak up every unit")
    mop_up_targets: Annotated[WholeNumber, Field(ge=1)] = Field(
        8, description="front cells a commander takes as objectives once no named place is left to take")
    fallback_objective_weight: Positive = Field(
        0.2, description="weight of an enemy-held named place in the side's operating area, taken as an objective "
                         "once none of the scenario's is open")
    mop_up_weight: Positive = Field(0.1, description="weight of a front cell taken as a mop-up objective")
    shaken_morale_factor: Positive = Field(
        1.5, description="a supplied unit withdraws to its sources when its morale is below this times "
                         "morale.break_morale (before it breaks in a fight)")
    operation_ready_morale: Fraction = Field(
        0.652, description="a faction that runs few operations at once (its 'operations' set) launches the next "
                         "after a gain once its mobile formations' strength-weighted morale is back to this")
    strike_min_morale: Fraction = Field(
        0.5, description="a mobile unit strikes a weak enemy unit within reach only with at least this morale")


class AirSupportRules(Strict):
    """What a strike does."""

    fighters_per_strike: NonNegative = Field(0.471, description="fighters killed by a first strike on a target")
    repeat_decay: Fraction = Field(0.97, description="effect of each further strike on the same target, relative")
    urban_effect: Fraction = Field(0.3, description="effect of strikes in towns, relative (cover)")
    morale_per_strike: Fraction = Field(0.0003, description="morale lost per strike")
    reach_km: Positive = Field(30.0, description="strikes go to enemies within this distance of friendly units, km")
    harm_per_strike_per_1000_people: NonNegative = Field(
        0.01, description="civilian-harm indicator per strike per 1,000 people in the cell")
    engaged_target_weight: Positive = Field(
        2.0, description="an enemy unit fighting today weighs this many times as much in the day's allocation of "
                         "strikes (close air support goes to the fights)")


class OverstretchRules(Strict):
    """Garrisons needed to hold ground, and the insurgency where they are short."""

    garrison_per_km2: NonNegative = Field(0.02, description="garrison fighters per km2 held")
    garrison_per_1000_people: NonNegative = Field(
        9.29, description="garrison fighters per 1,000 people held (times hostility)")
    hostility: dict[FactionName, dict[Literal["arab", "kurdish", "mixed"], NonNegative]] = Field(
        default_factory=lambda: {
            "ISIS": {"arab": 0.15, "kurdish": 3.0, "mixed": 1.0},
            "SAA": {"arab": 1.5, "kurdish": 2.0, "mixed": 1.5},
            "SDF": {"arab": 2.5, "kurdish": 0.5, "mixed": 1.2},
            "ISF": {"arab": 1.0, "kurdish": 0.5, "mixed": 1.0},
        },
        description="hostility of each community to each holder (multiplies the garrison per people)",
    )
    front_garrison_factor: Annotated[float, Field(ge=1.0)] = Field(
        2.0, description="garrison need of held cells within insurgency_reach_km of the insurgent's ground, "
                         "as a multiple of the need elsewhere (at least 1): raids and reinfiltration")
    garrison_loss_on_capture: Fraction = Field(0.3, description="share of a lost cell's garrison lost with it")
    stall_exponent: NonNegative = Field(2.0, description="tempo is 1 / overstretch to this power")
    insurgency_rate: Fraction = Field(0.02, description="daily chance scale of a thinly held cell rising for ISIS")
    insurgency_reach_km: Positive = Field(30.0, description="insurgency only within this distance of ISIS ground, km")


class CollapseRules(Strict):
    """The insurgent's fighters deserting as its ground and supply go."""

    desertion_per_day: Fraction = Field(
        0.0165, description="share of its units' fighters the insurgent loses a day to desertion, flight and "
                           "surrender, once it has lost every named place it held at the start (in "
                           "proportion before)")
    cut_off_factor: Annotated[float, Field(ge=1.0)] = Field(
        2.0, description="desertion in a unit cut off from supply, as a multiple of that elsewhere (at least 1)")


class DeconflictionRules(Strict):
    """The US-Russia split of the air space, and its breakdown."""

    enabled: bool = Field(True, description="whether the arrangement is in force at the start")
    line: Literal["euphrates"] | list[LonLat] = Field(
        "euphrates", description="the dividing line: 'euphrates', or [lon, lat] points (at least 2)")
    incident_rate: Fraction = Field(
        0.000798, description="chance of an incident per day per km of manned SAA-SDF front (their ground meeting "
                            "with fighters of either within contact_km)")
    breakdown_incidents: Annotated[WholeNumber, Field(ge=1)] = Field(
        20, description="incidents that end the arrangement (it survived six in May and June 2017, and the "
                        "battle at Khasham in February 2018)")
    contact_km: Positive = Field(
        20.0, description="a front between SAA and SDF ground is manned where fighters of either are within this, km")


class Rules(Strict):
    """Every rule's parameters."""

    movement: MovementRules = Field(MovementRules(), description="movement (rules/movement.py)")
    combat: CombatRules = Field(CombatRules(), description="combat (rules/combat.py)")
    supply: SupplyRules = Field(SupplyRules(), description="supply (rules/supply.py)")
    morale: MoraleRules = Field(MoraleRules(), description="morale")
    reinforcement: ReinforcementRules = Field(ReinforcementRules(), description="reinforcement and drain")
    command: CommandRules = Field(CommandRules(), description="commanders' decisions (agents/commander.py)")
    air_support: AirSupportRules = Field(AirSupportRules(), description="air strikes (rules/air_support.py)")
    overstretch: OverstretchRules = Field(OverstretchRules(), description="garrisons (rules/overstretch.py)")
    deconfliction: DeconflictionRules = Field(DeconflictionRules(), description="SAA-SDF line (rules/deconfliction.py)")
    collapse: CollapseRules = Field(CollapseRules(), description="the insurgent's desertions (rules/collapse.py)")
