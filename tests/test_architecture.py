"""The import graph: no cycles, and layers that only import downwards.

core <- rules <- agents <- model <- analysis <- viz <- run/app: a module may import its
own layer or a lower one, never a higher one, and no set of modules may import each
other in a ring (imports inside functions or ``if TYPE_CHECKING`` count too: hiding an
import in a function does not remove the dependency). The rules are pure functions
over arrays and plain values, so they and their package import no model, agent or Mesa
module. Each package must also import on its own in a fresh interpreter. The layers
and why are in ``docs/ARCHITECTURE.md``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGES = ("simulation", "agents", "analysis", "viz")
SCRIPTS = ("run.py", "app.py")

LAYERS = ("core", "rules", "agents", "model", "analysis", "viz", "entry")  # lowest first
# A module's layer: its exact name, or "package.*" for everything under a package;
# the longest match wins. A new project module must match an entry here.
LAYER_OF = {
    "simulation.factions": "core", "simulation.roles": "core", "simulation.geography": "core",
    "simulation.theatre": "core", "simulation.scenario": "core", "simulation.scenario.*": "core",
    "simulation.mesa_compat": "core", "simulation.lazy_exports": "core", "simulation.data.*": "core",
    "simulation.sizing": "core",
    "simulation.rules": "rules", "simulation.rules.*": "rules",
    "agents": "agents", "agents.*": "agents",
    "simulation": "model", "simulation.model": "model", "simulation.setup": "model",
    "simulation.records": "model", "simulation.export": "model", "simulation.faction_state": "model",
    "simulation.inspection": "model", "simulation.situation": "model", "simulation.ground_changes": "model",
    "analysis": "analysis", "analysis.*": "analysis",
    "analysis.inference": "analysis", "analysis.inference.*": "analysis",
    "viz": "viz", "viz.*": "viz",
    "run": "entry", "app": "entry",
}
RULES_MUST_NOT_IMPORT = ("agents", "simulation.model", "mesa")
IMPORTABLE = ("agents", "simulation", "simulation.rules", "simulation.scenario", "analysis", "analysis.inference",
              "viz")


def _module_files() -> dict[str, Path]:
    """Every project module by dotted name: the package folders and the scripts at the root."""
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "__pycache__" not in p.parts]
    names = {}
    for path in files + [ROOT / s for s in SCRIPTS]:
        parts = path.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


MODULES = _module_files()


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports anywhere in its file, absolute, project or not."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package, up level - 1 packages
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = ".".join(part for part in (anchor, node.module) if part)
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names)
    return found


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}
GRAPH = {name: found & MODULES.keys() for name, found in IMPORTS.items()}  # project modules only


def _layer(name: str) -> str | None:
    matches = [k for k in LAYER_OF if k == name or (k.endswith(".*") and name.startswith(k[:-1]))]
    return LAYER_OF[max(matches, key=lambda k: len(k.rstrip("*")))] if matches else None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _fail_if(problems: list[str], heading: str) -> None:
    if problems:
        pytest.fail(heading + "\n  " + "\n  ".join(problems), pytrace=False)


def _python(code: str, what: str) -> str:
    """Run ``code`` in a fresh interpreter at the repository root: its stdout, or fail with stderr's last line."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    error = (done.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
    _fail_if([error] if done.returncode else [], f"{what} fails:")
    return done.stdout


def test_every_module_has_a_layer():
    missing = sorted(name for name in MODULES if _layer(name) is None)
    _fail_if(missing, f"modules in no layer: add them to LAYER_OF in {Path(__file__).name}:")


def test_no_import_cycles():
    rings = [", ".join(c) + "\n    edges: " + ", ".join(f"{a} -> {b}" for a in c for b in sorted(GRAPH[a] & set(c)))
             for c in _cycles(GRAPH)]
    _fail_if(rings, "import cycles (modules that import each other, directly or around a ring):")


def test_layers_only_import_downwards():
    upward = [f"{a} -> {b} ({_layer(a)} -> {_layer(b)})" for a in sorted(GRAPH) for b in sorted(GRAPH[a])
              if _layer(a) and _layer(b) and LAYERS.index(_layer(b)) > LAYERS.index(_layer(a))]
    _fail_if(upward, "imports from a lower layer up to a higher one:")


def test_rules_know_no_model_object():
    bad = [f"{name} imports {imported}" for name in sorted(MODULES) if _layer(name) == "rules"
           for imported in sorted(IMPORTS[name])
           if any(imported == banned or imported.startswith(f"{banned}.") for banned in RULES_MUST_NOT_IMPORT)]
    _fail_if(bad, "the rules must not import agents, simulation.model or mesa:")


@pytest.mark.parametrize("package", IMPORTABLE)
def test_package_imports_alone(package):
    _python(f"import {package}", f"python -c 'import {package}'")


def test_importing_the_rules_loads_no_model():
    out = _python("import importlib, json, pkgutil, sys\nimport simulation.rules as r\n"
                  "for m in pkgutil.iter_modules(r.__path__): importlib.import_module(f'simulation.rules.{m.name}')\n"
                  f"print(json.dumps(sorted(n for n in {RULES_MUST_NOT_IMPORT!r} if n in sys.modules)))",
                  "importing simulation.rules and its modules")
    _fail_if(json.loads(out.strip().splitlines()[-1]), "importing simulation.rules (which first runs "
             "simulation/__init__.py) and all its modules also loads:")
