"""Long image sequences: a frame request, a keyframe edit and a track delete with its undo, per request.

    python benchmarks/bench_long_sequence.py [--frames 10000] [--sequence ../shared/data/tracking_otb_crossing]
                                             [--json OUT]

An image-sequence video item of ``--frames`` frames (the sequence's ``img/*.jpg`` over and over, linked in place,
as a long MOT or drone sequence would be) in a fresh SQLite hub, with one track of a box on every frame (a
keyframe every 50 frames, the rest propagated; the box wanders with a tracker's decimals, so the stored rows
compress as a real track's would). Through the API in this process (FastAPI's test client, a bearer
token, no network):

1. **A frame** at 40 random places (``GET .../frames/{n}``, the stored file); **baseline, same run**: what each
   such request did before 2026-12-07, resolving and checking every frame's file first
   (``load_video_item(files=True)``) and then the one frame.
2. **A keyframe edit** (``PUT .../keyframes/{n}`` with a box, 20 times; the propagation job it queues is not run),
   and apart, what it reads of the track to check the edit, 20 times: the keyframes and the frame edited (selected
   in SQL, since 2026-12-07) against every box (**baseline, same run**: what it read before).
3. **Deleting the track and undoing it** (``DELETE .../tracks/{id}`` keeps the track's rows for the undo;
   ``POST .../tracks/undo`` puts them back): ms each, 3 times, and the size of the stored (compressed) snapshot.

``--gc serving`` sets this process' garbage collector as ``labelhub serve`` sets its own
(``labelhub._gc.tune_for_long_run``, after the web stack is imported) before anything is measured; the default,
``--gc default``, keeps Python's settings, as a test process has them. Run both to compare.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _util import Table, code_version, machine_info, machine_load, report, summarize_ms
from _video_hub import video_hub

API = "/api/v1"


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from fastapi.testclient import TestClient
    from sqlalchemy import insert, text

    from labelhub.api.app import create_app
    from labelhub.services.frames import frame_file, load_video_item
    from labelhub.services.track_rows import keyframe_rows, track_rows
    from labelhub.storage.models import Annotation

    n = args.frames
    vh = video_hub(work, args.sequence, n, "car", "long")
    hub, token, actor, pid, iid = vh.hub, vh.token, vh.actor, vh.project_id, vh.item_id

    def box(f: int) -> list[float]:  # a box wandering about as a tracked one does, with a tracker's decimals
        x, y = 80 + 60 * math.sin(f / 97) + rng.random(), 60 + 40 * math.cos(f / 53) + rng.random()
        return [x, y, x + 50 + 5 * rng.random(), y + 70 + 5 * rng.random()]

    rng = random.Random(0)
    rows = [{"item_id": iid, "project_id": pid, "kind": "track_box", "label": "car", "frame": f, "track_id": 1,
             "geometry": {"bbox": box(f)}, "source": "human" if f % 50 == 0 else "model",
             "score": 1.0 if f % 50 == 0 else rng.random(),
             "attributes": {"keyframe": f % 50 == 0, "outside": False, "needs_review": False}}
            for f in range(n)]  # fmt: skip
    with hub.db.session(write=True) as s:
        s.execute(insert(Annotation), rows)
    out: dict[str, Any] = {"frames": n, "machine": machine_info(), "code": code_version(), "load": {}, "gc": args.gc}
    out["load"]["start"] = machine_load()
    base = f"{API}/projects/{pid}/items/{iid}"
    with TestClient(create_app(hub, run_worker=False), headers={"Authorization": f"Bearer {token}"}) as c:
        version = c.get(f"{base}/tracks").raise_for_status().json()["version"]
        times: dict[str, list[float]] = {
            k: [] for k in ("frame", "baseline", "keyframe", "read_all", "read_keyframes", "delete", "undo", "compress")
        }
        for f in (rng.randrange(n) for _ in range(args.jumps)):
            t0 = time.perf_counter()
            c.get(f"{base}/frames/{f}").raise_for_status()
            t1 = time.perf_counter()
            with hub.db.session() as s:
                v = load_video_item(s, hub, actor, pid, iid, files=True)
            frame_file(hub, v, f)
            times["frame"].append(t1 - t0)
            times["baseline"].append(time.perf_counter() - t1)
        for f in (rng.randrange(n) for _ in range(20)):
            t0 = time.perf_counter()
            r = c.put(f"{base}/tracks/1/keyframes/{f}", json={"version": version, "box": [12.0, 20.0, 62.0, 90.0]})
            times["keyframe"].append(time.perf_counter() - t0)
            version = r.raise_for_status().json()["version"]
        for _ in range(20):  # what a keyframe edit reads of the track: before 2026-12-07 every box, now the keyframes
            with hub.db.session() as s:
                t0 = time.perf_counter()
                track_rows(s, iid, 1)
                t1 = time.perf_counter()
                keyframe_rows(s, iid, 1, frame=rng.randrange(n))
                times["read_all"].append(t1 - t0)
                times["read_keyframes"].append(time.perf_counter() - t1)
        for _ in range(3):
            t0 = time.perf_counter()
            gone = c.delete(f"{base}/tracks/1", params={"version": version}).raise_for_status().json()
            times["delete"].append(time.perf_counter() - t0)
            with hub.db.session() as s:
                packed = s.execute(text("SELECT packed FROM track_snapshots ORDER BY id DESC")).scalars().first()
            rows_json = zlib.decompress(packed)
            out["snapshot_bytes"], out["snapshot_json_bytes"] = len(packed), len(rows_json)
            t0 = time.perf_counter()
            zlib.compress(rows_json, 1)
            times["compress"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            back = c.post(f"{base}/tracks/undo", json={"version": gone["version"], "undo_token": gone["undo_token"]})
            times["undo"].append(time.perf_counter() - t0)
            version = back.raise_for_status().json()["version"]
    hub.close()
    out["load"]["end"] = machine_load()
    out.update({k: summarize_ms(v) for k, v in times.items()})
    return out


def verdicts(out: dict[str, Any]) -> Table:
    t = Table(f"bench_long_sequence: one image-sequence video of {out['frames']} frames, SQLite, API in process, "
              f"garbage collector: {out['gc']}")  # fmt: skip
    fr, bl = out["frame"], out["baseline"]
    t.add("frame request, p50 / p95 ms", f"{fr['p50_ms']:.1f} / {fr['p95_ms']:.1f}")
    t.add("baseline: every frame's file looked up first, p50 / p95 ms", f"{bl['p50_ms']:.1f} / {bl['p95_ms']:.1f}")
    t.add("  baseline / frame request, p50", f"{bl['p50_ms'] / fr['p50_ms']:.1f}x")
    kf = out["keyframe"]
    t.add("keyframe edit (job not run), p50 / p95 ms", f"{kf['p50_ms']:.1f} / {kf['p95_ms']:.1f}")
    ra, rk = out["read_all"]["p50_ms"], out["read_keyframes"]["p50_ms"]
    t.add("  its read of the track: keyframes only / every box (before), p50 ms", f"{rk:.1f} / {ra:.1f}")
    t.add("    every box / keyframes only", f"{ra / rk:.0f}x")
    t.add("track delete (rows kept for undo), p50 ms", f"{out['delete']['p50_ms']:.0f}")
    t.add("undo of the delete (rows put back), p50 ms", f"{out['undo']['p50_ms']:.0f}")
    size, n = out["snapshot_bytes"], out["frames"]
    t.add("  the delete's stored snapshot (compressed): KB, bytes per box", f"{size / 1024:,.0f} KB, {size / n:.0f}")
    raw = out["snapshot_json_bytes"]
    t.add("  its rows as JSON (stored so before 2026-12-07): KB, bytes per box", f"{raw / 1024:,.0f} KB, {raw / n:.0f}")
    t.add("  compressing them (zlib level 1), p50 ms", f"{out['compress']['p50_ms']:.1f}")
    t.add_load(out)
    return t


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--frames", type=int, default=10_000)
    p.add_argument("--sequence", type=Path, default=here.parent.parent / "shared/data/tracking_otb_crossing")
    p.add_argument("--jumps", type=int, default=40, help="random frames fetched")
    p.add_argument("--gc", choices=("default", "serving"), default="default",
                   help="the garbage collector: Python's defaults, or as `labelhub serve` sets it")  # fmt: skip
    p.add_argument("--json", type=Path, default=None)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.gc == "serving":
        import labelhub.api.app  # noqa: F401  (what a server has imported when it sets its collector)
        from labelhub._gc import tune_for_long_run

        tune_for_long_run()
    with tempfile.TemporaryDirectory(prefix="bench-long-") as tmp:
        out = run(args, Path(tmp))
    return report(out, verdicts(out), args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
