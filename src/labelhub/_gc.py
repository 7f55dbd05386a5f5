"""The garbage collector's settings for a long-running labelhub process: a server or a job worker.

CPython's cyclic collector runs its young generation every 700 new container objects, and its full collection
walks every tracked object of the process. A server holds half a million of them after start-up (the web stack,
SQLAlchemy's mappers, NumPy, SciPy), and an answer that builds many small objects (a crowded video's tracks: 90,000
boxes, each a list, a tuple and a frame box) triggers hundreds of young collections and several full ones while it
is built. Measured on ``GET .../tracks`` for 300 tracks of 300 boxes (2 vCPUs, the read and the view alone): about
1.2 s with the defaults, 0.64 s with the collector off, 0.70 s with :func:`tune_for_long_run`.

Two standard levers, nothing hand-made: :func:`gc.freeze` moves what start-up made to a permanent generation the
collector never walks again (modules, classes, the app: they live as long as the process), and a young threshold of
:data:`YOUNG_THRESHOLD` collects every 10,000 new containers instead of every 700. Reference counting still frees
everything that is not in a cycle at once; cycles wait a little longer. (Reading a big JSON file pauses the
collector outright, ``labelhub.formats._common.gc_paused``: that suits one call that makes no cycles; this suits a
whole process.)

``serve``, each process of ``serve --workers N`` and ``worker`` call it once their start-up is done, and the test
suite once its imports are done. Call it only there: the cycle collector never looks at frozen objects again (their
reference counts still free them), so freezing later, in a process that has built and dropped apps since, would keep
every reference cycle among those for good.
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_THRESHOLD", "tune_for_long_run"]

YOUNG_THRESHOLD = 10_000


def tune_for_long_run() -> int:
    """Freeze every object that exists now and raise the young generation's threshold; return how many objects were
    frozen. Call it once start-up is done, just before the process starts serving or running jobs."""
    gc.collect()  # what start-up left as garbage is freed first, not frozen
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
    return gc.get_freeze_count()
