"""A small thread-safe LRU map, bounded in entries.

Hand-written: ``functools.lru_cache`` caches a function's results, keeps its arguments alive and cannot be
sized per instance; the frame caches, the propagation cache and the queue cache need a map they fill and empty
themselves.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from labelhub.errors import ValidationError

V = TypeVar("V")


class Lru(Generic[V]):
    """A bounded map that forgets the least recently used entry first; safe to share between threads."""

    def __init__(self, max_items: int, *, field: str = "max_items") -> None:
        if max_items < 1:
            raise ValidationError(f"{field} must be at least 1, got {max_items}", field=field)
        self.max_items = max_items
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def get_or_put(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value at ``key``, made by ``make()`` and kept when there is none."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                found = self._items[key] = make()
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
            return found

    def values(self) -> list[V]:
        """The values held now, least recently used first (a copy: the map may change meanwhile)."""
        with self._lock:
            return list(self._items.values())

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)

    def drop_where(self, test: Callable[[Hashable], bool]) -> int:
        """Forget every entry whose key passes ``test``; return how many went."""
        with self._lock:
            gone = [key for key in self._items if test(key)]
            for key in gone:
                del self._items[key]
            return len(gone)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
