"""Opening a crowded video in the editor: ``GET .../tracks`` for a MOT-like video of many tracks, per request.

    python benchmarks/bench_many_tracks.py [--frames 1050] [--tracks 100] [--length 300] [--repeats 5]
                                           [--sequence ../shared/data/tracking_otb_crossing] [--json OUT]

An image-sequence video item of ``--frames`` frames (the sequence's ``img/*.jpg`` over and over, linked in place)
in a fresh SQLite hub, with ``--tracks`` tracks of ``--length`` consecutive boxes each, starting at random frames
(a keyframe every 30 frames, the rest propagated with a confidence; the boxes wander with a tracker's decimals),
as a pedestrian-crowd sequence of MOT17 or MOT20 holds (MOT17-04: 1,050 frames, 83 people). Through the API in
this process (FastAPI's test client, a bearer token, no network), best and median of ``--repeats`` requests:

1. **baseline, same run**: the answer with one entry per frame of the video per track (what the editor asked for
   before 2026-12-07, and still the default): its time and size;
2. ``?span=true``, each track over its own frames (what the editor asks for now): time and size;
3. the same from a client that accepts gzip, as every browser does (``LABELHUB_GZIP_LEVEL``, default 5): the
   bytes on the wire and the time;
4. one track (``?track_id``), what the editor reads again when a track's propagation ends (before 2026-12-07 it
   read every track again);
5. the garbage collector: rows 1-4 run with Python's defaults (as a test process has them); then ``?span=true``
   (gzip accepted) again, alternating request by request between the defaults and the settings ``labelhub serve``
   and ``labelhub worker`` give their process (``labelhub._gc.tune_for_long_run``: start-up frozen, young
   threshold 10,000): best and median of each, and their ratio.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _util import Table, code_version, log, machine_info, machine_load, report
from _video_hub import video_hub

API = "/api/v1"


def _rows(pid: int, iid: int, frames: int, tracks: int, length: int) -> list[dict[str, Any]]:
    """The tracks' boxes as annotation rows."""
    rng = random.Random(0)
    rows = []
    for t in range(1, tracks + 1):
        start = rng.randrange(0, max(1, frames - length))
        x0, y0 = rng.uniform(0, 300), rng.uniform(0, 200)
        for f in range(start, min(frames, start + length)):
            x = x0 + 40 * math.sin(f / 37 + t) + rng.random()
            y = y0 + 20 * math.cos(f / 53 + t) + rng.random()
            key = (f - start) % 30 == 0
            rows.append({"item_id": iid, "project_id": pid, "kind": "track_box", "label": "person", "frame": f,
                         "track_id": t, "geometry": {"bbox": [x, y, x + 20 + rng.random(), y + 50 + rng.random()]},
                         "source": "human" if key else "model", "score": 1.0 if key else rng.random(),
                         "attributes": {"keyframe": key, "outside": False, "needs_review": False}})  # fmt: skip
    return rows


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from fastapi.testclient import TestClient
    from sqlalchemy import insert

    from labelhub.api.app import create_app
    from labelhub.storage.models import Annotation

    n = args.frames
    vh = video_hub(work, args.sequence, n, "person", "crowd")
    hub, token, pid, iid = vh.hub, vh.token, vh.project_id, vh.item_id
    rows = _rows(pid, iid, n, args.tracks, args.length)
    log(f"{n} frames, {args.tracks} tracks, {len(rows):,} boxes")
    with hub.db.session(write=True) as s:
        s.execute(insert(Annotation), rows)
    out: dict[str, Any] = {"frames": n, "tracks": args.tracks, "boxes": len(rows), "machine": machine_info(),
                           "code": code_version(), "load": {"start": machine_load()}}  # fmt: skip
    url = f"{API}/projects/{pid}/items/{iid}/tracks"
    with TestClient(create_app(hub, run_worker=False), headers={"Authorization": f"Bearer {token}"}) as c:
        c.get(url).raise_for_status()  # warm: the first request opens connections and fills caches
        one = {"span": "true", "track_id": str(args.tracks // 2)}
        asks = (("whole", "identity", {}), ("span", "identity", {"span": "true"}), ("gzip", "gzip", {"span": "true"}),
                ("one", "gzip", one))  # fmt: skip
        for name, encoding, query in asks:
            if query and c.get(url, params=query).status_code == 422:
                log(f"{name}: this labelhub has no ?span (older than 2026-12-07); left out")
                continue
            seconds, wire, size = [], 0, 0
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                r = c.get(url, params=query, headers={"Accept-Encoding": encoding}).raise_for_status()
                seconds.append(time.perf_counter() - t0)
                wire, size = r.num_bytes_downloaded, len(r.content)
                want = 1 if "track_id" in query else args.tracks
                if len(r.json()["tracks"]) != want:
                    raise RuntimeError(f"the answer holds {len(r.json()['tracks'])} tracks, not {want}")
            out[name] = {"best_ms": round(1000 * min(seconds), 1),
                         "median_ms": round(1000 * statistics.median(seconds), 1), "wire_bytes": wire,
                         "json_bytes": size, "encoding": r.headers.get("content-encoding", "identity")}  # fmt: skip
        out["gc"] = _gc_rows(c, url, args.repeats)
    hub.close()
    out["load"]["end"] = machine_load()
    return out


def _gc_rows(c: Any, url: str, repeats: int) -> dict[str, Any]:
    """``?span=true`` with gzip, alternating between the collector's defaults and a long-running process' settings."""
    from labelhub._gc import tune_for_long_run

    defaults = gc.get_threshold()
    seconds: dict[str, list[float]] = {"default": [], "long_run": []}
    for _ in range(repeats):
        for name in seconds:
            gc.unfreeze()
            gc.set_threshold(*defaults)
            if name == "long_run":
                tune_for_long_run()
            t0 = time.perf_counter()
            c.get(url, params={"span": "true"}, headers={"Accept-Encoding": "gzip"}).raise_for_status()
            seconds[name].append(time.perf_counter() - t0)
    gc.unfreeze()
    gc.set_threshold(*defaults)
    return {name: {"best_ms": round(1000 * min(v), 1), "median_ms": round(1000 * statistics.median(v), 1)}
            for name, v in seconds.items()}  # fmt: skip


def verdicts(out: dict[str, Any]) -> Table:
    t = Table(f"bench_many_tracks: {out['tracks']} tracks, {out['boxes']:,} boxes on {out['frames']:,} frames, "
              "SQLite, API in process")  # fmt: skip
    whole = out["whole"]
    t.add("baseline: GET .../tracks, every frame of the video: best / median ms",
          f"{whole['best_ms']:.0f} / {whole['median_ms']:.0f}")  # fmt: skip
    t.add("  its JSON, KB", f"{whole['json_bytes'] / 1024:,.0f}")
    if "span" not in out:
        t.add_load(out)
        return t
    span, gz = out["span"], out["gzip"]
    t.add(
        "GET .../tracks?span=true (the editor's): best / median ms", f"{span['best_ms']:.0f} / {span['median_ms']:.0f}"
    )
    t.add("  its JSON, KB", f"{span['json_bytes'] / 1024:,.0f}")
    t.add("    whole / span, median ms", f"{whole['median_ms'] / span['median_ms']:.1f}x")
    t.add("    whole / span, bytes", f"{whole['json_bytes'] / span['json_bytes']:.1f}x")
    t.add("GET .../tracks?span=true, gzip accepted: best / median ms", f"{gz['best_ms']:.0f} / {gz['median_ms']:.0f}")
    t.add(f"  on the wire ({gz['encoding']}), KB", f"{gz['wire_bytes'] / 1024:,.0f}")
    t.add("    whole uncompressed / span gzip, bytes on the wire", f"{whole['wire_bytes'] / gz['wire_bytes']:.1f}x")
    one = out["one"]
    t.add("one track (?track_id, span, gzip; after its propagation): best / median ms",
          f"{one['best_ms']:.0f} / {one['median_ms']:.0f}")  # fmt: skip
    t.add("  on the wire, KB", f"{one['wire_bytes'] / 1024:,.1f}")
    t.add("    every track / one track (what the editor read again after a propagation before), median",
          f"{gz['median_ms'] / one['median_ms']:.0f}x")  # fmt: skip
    if "gc" in out:
        base, tuned = out["gc"]["default"], out["gc"]["long_run"]
        t.add("baseline, same run: span, gzip, Python's collector defaults: best / median ms",
              f"{base['best_ms']:.0f} / {base['median_ms']:.0f}")  # fmt: skip
        t.add("span, gzip, the collector as `labelhub serve` sets it: best / median ms",
              f"{tuned['best_ms']:.0f} / {tuned['median_ms']:.0f}")  # fmt: skip
        t.add("    defaults / as serve sets it, median", f"{base['median_ms'] / tuned['median_ms']:.2f}x")
    t.add_load(out)
    return t


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--frames", type=int, default=1050)
    p.add_argument("--tracks", type=int, default=100)
    p.add_argument("--length", type=int, default=300, help="boxes per track (consecutive frames)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sequence", type=Path, default=here.parent.parent / "shared/data/tracking_otb_crossing")
    p.add_argument("--json", type=Path, default=None)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-tracks-") as tmp:
        out = run(args, Path(tmp))
    return report(out, verdicts(out), args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
