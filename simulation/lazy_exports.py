"""A package façade that imports each public name only when it is first used (PEP 562).

``simulation``, ``simulation.scenario`` and ``analysis`` name their public API in
their ``__init__`` but load a name's module only on first use: the package holds
layers that must not load one another (``simulation``), or start-up must not pay
for libraries a command does not need (pydantic, Dask, pyabc).

    __getattr__, __dir__ = lazy_exports(__name__, {"ConflictModel": "simulation.model"}, __all__)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable


def lazy_exports(package: str, exports: dict[str, str], public: Iterable[str]
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of a lazy package.

    Args:
        package: the package's name (its ``__name__``).
        exports: each public name and the module (full dotted name) that defines it.
        public: the package's ``__all__``.
    """
    public = tuple(public)

    def __getattr__(name: str):
        """Resolve a public name on first use, from the module that defines it."""
        if name not in exports:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        value = getattr(importlib.import_module(exports[name]), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *public})

    return __getattr__, __dir__
