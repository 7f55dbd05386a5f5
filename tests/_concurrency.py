"""Several callers at the same instant: what "many people press the button at once" tests need.

Each call runs in a thread of its own and waits at one barrier, so they start together; the results come back
in the order of ``args``, and the first exception a call raised is raised again in the test's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

A = TypeVar("A")
T = TypeVar("T")


def at_once(call: Callable[[A], T], args: Iterable[A], *, timeout: float = 120.0) -> list[T]:
    """Return ``[call(a) for a in args]``, every call released at the same moment from its own thread."""
    todo = list(args)
    start = threading.Barrier(len(todo))

    def run(arg: A) -> T:
        start.wait(timeout)
        return call(arg)

    with ThreadPoolExecutor(len(todo)) as pool:
        return list(pool.map(run, todo, timeout=timeout))
