"""The painted label maps of the last few volume items the plane views asked for, held by the hub.

One map per item, its latest version only (an older one is never asked for again): a CT's map is ``X*Y*Z`` bytes
(78 MB for 512 x 512 x 300), so only :data:`KEPT` items are kept. Painting is serialised: the viewer asks for
both planes at once, and the second request then finds the first one's map.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

import numpy as np

from labelhub._lru import Lru

KEPT = 4  # items


class LabelMapCache:
    """Label maps keyed by item, each valid for one ``versions`` tuple (the item's and the project's versions)."""

    def __init__(self, kept: int = KEPT) -> None:
        self._maps: Lru[tuple[Hashable, np.ndarray]] = Lru(kept)
        self._painting = threading.Lock()

    def get(self, key: Hashable, versions: Hashable, paint: Callable[[], np.ndarray]) -> np.ndarray:
        """Return the map of ``key`` at ``versions``, painting it (once, whoever asks at the same time) if needed."""
        found = self._maps.get(key)
        if found is not None and found[0] == versions:
            return found[1]
        with self._painting:
            found = self._maps.get(key)
            if found is None or found[0] != versions:
                found = (versions, paint())
                self._maps.put(key, found)
        return found[1]
