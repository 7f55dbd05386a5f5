"""Numba functions of a library that does not cache them are compiled once, then read from disk by later processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

LIBRARY = """
import numba

@numba.njit
def total(xs):
    s = 0.0
    for x in xs:
        s += x
    return s
"""

RUN = textwrap.dedent("""
    import json, sys
    import numpy as np
    import jitlib.core as core
    from labelhub._jit_cache import cache_compiled
    turned = cache_compiled("jitlib")
    again = cache_compiled("jitlib")
    value = core.total(np.arange(4.0))
    stats = core.total.stats
    print(json.dumps({"turned": turned, "again": again, "value": value,
                      "hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}))
""")


def _run(folder: Path) -> dict[str, float]:
    import json

    done = subprocess.run([sys.executable, "-c", RUN], cwd=folder, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"}, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_library_compiles_once_and_later_processes_read_it_from_disk(tmp_path: Path) -> None:
    package = tmp_path / "jitlib"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "core.py").write_text(LIBRARY)
    first = _run(tmp_path)
    assert first == {"turned": 1, "again": 0, "value": 6.0, "hits": 0, "misses": 1}
    assert list((package / "__pycache__").glob("core.total-*.nbi")), "the compiled function is kept next to it"
    second = _run(tmp_path)
    assert second == {"turned": 1, "again": 0, "value": 6.0, "hits": 1, "misses": 0}
