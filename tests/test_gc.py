"""A server or job worker process freezes what start-up made and collects its young generation less often; cycles
made afterwards are still collected. Each case runs in a fresh process: this one set its own collector when
tests/conftest.py was imported, so it cannot show what a call changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

TUNE = textwrap.dedent("""
    import gc, json, weakref
    from labelhub._gc import YOUNG_THRESHOLD, tune_for_long_run

    before = gc.get_threshold()
    frozen = tune_for_long_run()

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: reference counting alone never frees it
    alive = weakref.ref(a)
    del a, b
    gc.collect()
    print(json.dumps({"frozen": frozen, "freeze_count": gc.get_freeze_count(), "before": before,
                      "after": gc.get_threshold(), "young": YOUNG_THRESHOLD, "cycle_freed": alive() is None}))
""")

APP_FROM_ENV = textwrap.dedent("""
    import gc, json
    from labelhub.api.app import app_from_env

    app = app_from_env()
    print(json.dumps({"freeze_count": gc.get_freeze_count(), "after": gc.get_threshold(),
                      "title": app.title}))
""")


def _run(code: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **(env or {})})  # fmt: skip
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def test_start_up_is_frozen_the_young_threshold_raised_and_later_cycles_still_freed() -> None:
    out = _run(TUNE)
    assert out["frozen"] == out["freeze_count"] > 10_000  # the interpreter, labelhub and what it imported
    assert out["after"] == [out["young"], *out["before"][1:]]
    assert out["young"] > out["before"][0]
    assert out["cycle_freed"] is True


def test_each_process_of_serve_workers_n_sets_its_collector_when_it_builds_the_app(tmp_path: Path) -> None:
    # The one-process `serve` and `worker` call the same function just before they start (tests/cli runs them).
    home = tmp_path / "home"
    out = _run(APP_FROM_ENV, {"LABELHUB_HOME": str(home), "LABELHUB_DEV": "1", "LABELHUB_DATABASE_URL": ""})
    assert out["title"] == "labelhub"
    assert out["freeze_count"] > 10_000
    assert out["after"][0] == 10_000
