"""Run a test's coroutine on an event loop in a thread of its own.

Once a browser test ran in an xdist worker, Playwright's sync API (a session fixture) keeps an asyncio loop
running in that worker's main thread, and ``asyncio.run`` or ``anyio.run`` refuse to start inside it ("Already
running asyncio in this thread"): which tests share a worker is up to the scheduler, so every test that runs a
coroutine itself goes through here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import anyio

T = TypeVar("T")


def run_async(func: Callable[[], Awaitable[T]]) -> T:
    """Return what ``func()`` gives when awaited, run by ``anyio.run`` in a fresh thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, func).result()
