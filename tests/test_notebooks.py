"""The notebooks are the tutorial: each runs top to bottom on a real kernel, from the public API.

Executed with nbclient in a scratch folder (a notebook writes nothing into the clone);
any error in any cell fails the test. They are committed without outputs.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 600


def code_of(path: Path) -> str:
    """The notebook's code cells, IPython magics dropped."""
    nb = nbformat.read(path, as_version=4)
    return "\n".join("\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
                     for cell in nb.cells if cell.cell_type == "code")


def test_the_tutorial_path_is_there_and_committed_clean():
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_counterfactual.ipynb",
                                           "03_sensitivity.ipynb"]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        prose = [c for c in nb.cells if c.cell_type == "markdown"]
        assert len(prose) >= 4 and len(code) >= 4, path.name
        for cell in code:
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} is committed with outputs"


def test_notebooks_use_only_the_public_api():
    for path in NOTEBOOKS:
        tree = ast.parse(code_of(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module in ("simulation", "analysis", "pandas", "numpy"), (path.name, node.module)
            if isinstance(node, ast.Import):
                assert all(a.name in ("pandas", "numpy") for a in node.names), path.name


def _used_api() -> dict[str, object]:
    """Every function, class and method of ours the notebooks call, by name."""
    import analysis
    import simulation
    from simulation.faction_state import FactionState

    used = {}
    # Looked up statically: on Mesa 3.5 some Model attributes are descriptors that fail on the class.
    methods = {**{n: inspect.getattr_static(simulation.ConflictModel, n) for n in dir(simulation.ConflictModel)},
               **{n: getattr(simulation.Scenario, n) for n in ("with_overrides", "faction")}}
    for path in NOTEBOOKS:
        code = code_of(path)
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and node.module in ("simulation", "analysis"):
                package = simulation if node.module == "simulation" else analysis
                for alias in node.names:
                    used[f"{node.module}.{alias.name}"] = getattr(package, alias.name)
        for name in re.findall(r"\.(\w+)\(", code):
            if name in methods and callable(methods[name]) and not name.startswith("_"):
                owner = "Scenario" if name == "with_overrides" else "ConflictModel"
                used[f"{owner}.{name}"] = methods[name]
    used["FactionState"] = FactionState  # what model.faction(...) returns
    return used


def test_every_public_name_the_notebooks_use_documents_its_arguments():
    used = _used_api()
    assert {"ConflictModel.control_at", "ConflictModel.faction", "Scenario.with_overrides",
            "analysis.run_sweep", "analysis.plot_map", "simulation.load_scenario"} <= set(used)
    for name, obj in used.items():
        if not (callable(obj) or inspect.isclass(obj)):
            continue  # data: RECORD, SWEEP_RECORD
        doc = inspect.getdoc(obj) or ""
        assert doc, f"{name} has no docstring"
        target = obj.__init__ if inspect.isclass(obj) and "__init__" in vars(obj) else obj
        if inspect.isclass(obj) and "__init__" not in vars(obj):
            continue  # a dataclass: its fields are documented as attributes
        params = [p for p in inspect.signature(target).parameters if p not in ("self", "cls")]
        for param in params:
            assert re.search(rf"\b{param}\b", doc), f"{name}: argument '{param}' is not documented"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path):
    import nbclient

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was drawn"
    assert list(tmp_path.iterdir()) == [], "the notebook wrote into its working folder"
