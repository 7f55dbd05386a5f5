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

from _util import Table, code_version, log, machine_info, machine_load, report, summarize_ms

API = "/api/v1"


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from fastapi.testclient import TestClient
    from sqlalchemy import insert, text

    from labelhub.api.app import create_app
    from labelhub.config import Settings
    from labelhub.domain.enums import AnnotationKind, ItemKind
    from labelhub.domain.records import ItemRecord
    from labelhub.domain.schema import LabelSchema
    from labelhub.formats import ImportOptions
    from labelhub.hub import Hub
    from labelhub.services.access import Actor
    from labelhub.services.frames import frame_file, load_video_item
    from labelhub.services.imports import import_records
    from labelhub.services.projects import create_project
    from labelhub.services.track_rows import keyframe_rows, track_rows
    from labelhub.services.users import actor_for, create_user, issue_token
    from labelhub.storage.models import Annotation

    images = sorted((args.sequence / "img").glob("*.jpg"))
    if not images:
        raise SystemExit(f"{args.sequence}/img holds no .jpg frames")
    n = args.frames
    files = [images[i % len(images)].resolve() for i in range(n)]
    hub = Hub.open(Settings(home=work / "home", database_url=f"sqlite:///{work}/hub.db", dev=True,
                            import_roots=[args.sequence.resolve().parent, work]))  # fmt: skip
    schema = LabelSchema.from_names(["car"], kinds=[AnnotationKind.TRACK_BOX])
    with hub.db.session(write=True) as s:
        user = create_user(s, Actor.system(), "bench-admin", "bench-admin-password", is_admin=True)
        token, actor = issue_token(s, user, "bench").token, actor_for(user)
        pid = create_project(s, actor, "long", item_kind=ItemKind.VIDEO, schema=schema).id
    import cv2

    h, w = cv2.imread(str(files[0])).shape[:2]
    log(f"importing a {n}-frame image sequence (linked)")
    record = ItemRecord(kind=ItemKind.VIDEO, name="long", media_path=files[0], frame_files=files, frame_count=n,
                        width=w, height=h, fps=25.0)  # fmt: skip
    import_records(hub, actor, pid, [record], labels=[], format_name="bench", options=ImportOptions(media="link"))
    iid = 1

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
    out: dict[str, Any] = {"frames": n, "machine": machine_info(), "code": code_version(), "load": {}}
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
    t = Table(f"bench_long_sequence: one image-sequence video of {out['frames']} frames, SQLite, API in process")
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
    p.add_argument("--json", type=Path, default=None)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-long-") as tmp:
        out = run(args, Path(tmp))
    return report(out, verdicts(out), args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
