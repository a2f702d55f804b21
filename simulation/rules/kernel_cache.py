"""The compiled kernels' decorator: numba's ``njit``, cached on disk, loaded without readying numba's compiler.

Before it loads a kernel from its disk cache, numba readies its whole compiler: it
imports the code generators of every feature it supports (strings, typed containers,
random generators, linear algebra, which imports scipy.linalg), about 0.3 s of every
process that runs the model, though a cached kernel is already machine code and needs
none of them. A kernel made with :func:`compiled` readies only numba's runtime (its
arrays are allocated by it) before a cache load. When the cache has no copy (the first
call after an install, or after a kernel is edited) numba compiles it as always, with
everything loaded first; so does any load that fails this way.
"""

from __future__ import annotations

from numba import njit


def compiled(kernel):
    """``numba.njit(cache=True, nogil=True)``, with loads from the cache that skip readying the compiler."""
    dispatcher = njit(cache=True, nogil=True)(kernel)
    _load_without_compiler(dispatcher)
    return dispatcher


def _load_without_compiler(dispatcher) -> None:
    """Have the dispatcher's disk cache load a kernel with only numba's runtime readied (see the module).

    numba's ``Cache.load_overload`` readies the target context (``refresh``, the imports)
    and then loads; this loads first, readying the runtime only. Where this numba's cache
    lacks the parts used here, its own load is left as it is.
    """
    cache = getattr(dispatcher, "_cache", None)
    load, guard = (getattr(cache, name, None) for name in ("_load_overload", "_guard_against_spurious_io_errors"))
    if load is None or guard is None:
        return
    from numba.core.runtime import nrt

    full_load = cache.load_overload

    def load_overload(sig, target_context):
        try:
            nrt.rtsys.initialize(target_context)
            with guard():
                return load(sig, target_context)
        except Exception:  # anything this numba needs readied after all: its own way, compiler and all
            return full_load(sig, target_context)

    cache.load_overload = load_overload
