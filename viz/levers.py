"""The viewer's levers: scenario picker, seed and the overrides users reach for.

A lever at its neutral setting ("as in the scenario", or 1.0 for an air scale)
leaves the scenario alone, so picking a variant is never silently undone by a
slider. A lever that is set becomes an override with the same dotted key as
``run.py run --set``, and the page shows them, so a run seen in the browser can be
repeated from the command line.
"""

from __future__ import annotations

from pathlib import Path

from simulation.model import ConflictModel
from simulation.scenario import Scenario, ScenarioError, load_scenario, scenario_file, shipped_name, shipped_scenarios

DEFAULT_SCENARIO = "2017-07-04_raqqa"
AS_SCENARIO = "as in the scenario"

# Choices for the levers that set a number of fighters or a rule; the first is neutral.
SDF_MANPOWER_CHOICES = (AS_SCENARIO, "20,000", "30,000", "40,000", "50,000", "60,000", "70,000")
# SDF fighters held on the Turkish border and Afrin's front (the July file has 8,000;
# the turkish_pressure variant 16,700).
TURKISH_PRESSURE_CHOICES = (AS_SCENARIO, "0", "4,000", "8,000", "12,000", "16,700", "25,000")
DECONFLICTION_CHOICES = (AS_SCENARIO, "on", "off")
# Chance of an incident per km of manned SAA-SDF front per day (the fitted default is of the order of 0.0005).
INCIDENT_RATE_CHOICES = (AS_SCENARIO, "0", "0.0005", "0.005", "0.05")


def scenario_choice(path: str | Path) -> str:
    """How the picker names a scenario (a file or a shipped name): its shipped name, or the file's path."""
    return shipped_name(scenario_file(path)) or str(Path(path).resolve())


def _number(choice: str) -> float:
    return float(choice.replace(",", ""))


def lever_overrides(spec: Scenario, *, coalition_air: float = 1.0, russian_air: float = 1.0,
                    sdf_manpower: str = AS_SCENARIO, turkish_pressure: str = AS_SCENARIO,
                    deconfliction: str = AS_SCENARIO, incident_rate: str = AS_SCENARIO) -> dict:
    """The dotted-key overrides the levers make of a scenario (empty at neutral settings).

    Args:
        spec: the scenario as loaded, which the air scales multiply.
        coalition_air: coalition sorties as a multiple of the scenario's (1.0 = unchanged).
        russian_air: Russian sorties as a multiple of the scenario's.
        sdf_manpower: SDF fighters in the theatre, e.g. ``"30,000"``.
        turkish_pressure: SDF fighters held on the Turkish front (``sdf.fixed_commitment``).
        deconfliction: ``"on"`` or ``"off"`` (``rules.deconfliction.enabled``).
        incident_rate: chance of an incident per km of manned SAA-SDF front per day.
    """
    overrides: dict = {}
    for arm, scale in (("coalition", coalition_air), ("russia", russian_air)):
        if scale != 1.0:
            base = getattr(spec.air, arm).sorties_per_day
            overrides[f"air.{arm}.sorties_per_day"] = round(base * max(scale, 0.0), 1)
    if sdf_manpower != AS_SCENARIO:
        overrides["sdf.manpower"] = int(_number(sdf_manpower))
    if turkish_pressure != AS_SCENARIO:
        overrides["sdf.fixed_commitment"] = int(_number(turkish_pressure))
    if deconfliction != AS_SCENARIO:
        overrides["rules.deconfliction.enabled"] = deconfliction == "on"
    if incident_rate != AS_SCENARIO:
        overrides["rules.deconfliction.incident_rate"] = _number(incident_rate)
    return overrides


class CampaignModel(ConflictModel):
    """A :class:`ConflictModel` built from a scenario name, a seed and the levers.

    Its keyword arguments are the viewer's model parameters: Mesa's SolaraViz
    rebuilds the model with them on Reset.

    Args:
        scenario_name: a shipped scenario's name (``"variants/no_russian_air"``) or a
            path. (Not ``scenario``: Mesa 3.5's SolaraViz passes its own scenario object
            under that name to a model that takes one.)
        seed: the run's seed.
        cell_km: hex cell size in km; default the scenario's.
        coalition_air, russian_air, sdf_manpower, turkish_pressure, deconfliction,
            incident_rate: the levers, as in :func:`lever_overrides`.

    Attributes:
        overrides: the dotted keys the levers set (as ``run.py run --set`` takes them).
        refused: what was refused and why, one line each: levers that fail the checks
            together (the scenario then runs as written), or a scenario file that fails
            them (the default scenario is shown instead); empty when all applied.
    """

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, seed: int = 1, cell_km: float | None = None,
                 coalition_air: float = 1.0, russian_air: float = 1.0, sdf_manpower: str = AS_SCENARIO,
                 turkish_pressure: str = AS_SCENARIO, deconfliction: str = AS_SCENARIO,
                 incident_rate: str = AS_SCENARIO):
        # A file that fails its checks (edited on disk while the viewer runs) is refused
        # too: the default scenario is shown instead, with the checker's lines.
        self.refused: list[str] = []
        try:
            base = load_scenario(scenario_name)
        except ScenarioError as exc:
            self.refused = [f"scenario {scenario_name} not loaded (showing {DEFAULT_SCENARIO}): {line}"
                            for line in exc.problems]
            scenario_name = DEFAULT_SCENARIO
            base = load_scenario(scenario_name)
        self.scenario_name = scenario_name
        self.overrides = lever_overrides(
            base, coalition_air=coalition_air, russian_air=russian_air, sdf_manpower=sdf_manpower,
            turkish_pressure=turkish_pressure, deconfliction=deconfliction, incident_rate=incident_rate)
        # Levers that together break the scenario's checks (more fighters held on the
        # Turkish front than the SDF has) are refused with the checker's own message,
        # and the scenario runs as written: a browser user gets a line, not a traceback.
        spec = base
        if self.overrides:
            try:
                spec = load_scenario(scenario_name, self.overrides)
            except ScenarioError as exc:
                self.refused += [f"levers not applied: {line}" for line in exc.problems]
                self.overrides = {}
        super().__init__(spec, seed=int(seed), cell_km=cell_km)


def model_params(scenario_name: str = DEFAULT_SCENARIO) -> dict:
    """SolaraViz's model parameters: the picker, the seed and the levers."""
    names = shipped_scenarios()
    if scenario_name not in names:
        names.append(scenario_name)
    select = {"type": "Select"}
    return {
        "scenario_name": {**select, "label": "Scenario", "value": scenario_name, "values": names},
        "seed": {"type": "SliderInt", "label": "Seed", "value": 1, "min": 1, "max": 100, "step": 1},
        "coalition_air": {"type": "SliderFloat", "label": "Coalition air support (× scenario)",
                          "value": 1.0, "min": 0.0, "max": 2.0, "step": 0.1},
        "russian_air": {"type": "SliderFloat", "label": "Russian air support (× scenario)",
                        "value": 1.0, "min": 0.0, "max": 2.0, "step": 0.1},
        "sdf_manpower": {**select, "label": "SDF manpower", "value": AS_SCENARIO,
                         "values": list(SDF_MANPOWER_CHOICES)},
        "turkish_pressure": {**select, "label": "Turkish pressure (SDF fighters held north)",
                             "value": AS_SCENARIO, "values": list(TURKISH_PRESSURE_CHOICES)},
        "deconfliction": {**select, "label": "US-Russia deconfliction", "value": AS_SCENARIO,
                          "values": list(DECONFLICTION_CHOICES)},
        "incident_rate": {**select, "label": "Incident rate (per km of front per day)",
                          "value": AS_SCENARIO, "values": list(INCIDENT_RATE_CHOICES)},
    }
