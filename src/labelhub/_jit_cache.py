"""Keep numba's compiled code on disk for libraries that compile on every process start.

umap-learn declares its numba functions without ``cache=True`` (upstream lmcinnes/umap#1257 proposed it and
was closed), so every process that lays out its first map compiles them again: 12 s on an idle 2-core machine,
20 s or more under load, each time a server restarts. Numba's own ``Dispatcher.enable_caching()`` turns the
on-disk cache on for an existing function; this module calls it for the module-level functions of the named
packages. Numba keys each cache entry on the function's source file and its own version and writes entries
atomically, so processes may share it. Where no cache location is writable (numba tries the package's
``__pycache__``, then the user's cache folder; ``NUMBA_CACHE_DIR`` overrides both), a function stays as it was.
A function numba cannot keep (it reads dynamic globals) is compiled as before, with a ``NumbaWarning``
("Cannot cache compiled function"); ``CANNOT_CACHE`` matches that message for a caller's warning filter.

Hand-written because neither numba nor umap-learn offers a switch for this.
"""

from __future__ import annotations

import sys
import threading

__all__ = ["CANNOT_CACHE", "cache_compiled"]

CANNOT_CACHE = r"Cannot cache compiled function"

_done: set[str] = set()
_lock = threading.Lock()


def cache_compiled(*packages: str) -> int:
    """Turn on numba's disk cache for the loaded modules of ``packages``; return how many functions it turned on.

    Call it after importing the packages and before their first call. Calling it again for a package does nothing.
    """
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    turned = 0
    with _lock:
        wanted = {p for p in packages if p not in _done}
        if not wanted:
            return 0
        for name, module in list(sys.modules.items()):
            if module is None or name.split(".")[0] not in wanted:
                continue
            for value in list(vars(module).values()):
                if isinstance(value, CPUDispatcher) and isinstance(getattr(value, "_cache", None), NullCache):
                    try:
                        value.enable_caching()
                    except RuntimeError:  # "cannot cache function ...: no locator available"
                        continue
                    turned += 1
        _done.update(wanted)
    return turned
