"""Tracking benchmark: how many boxes a person draws to label one object through a video, and how fast.

    python benchmarks/bench_tracking.py --sequence ../shared/data/tracking_otb_crossing --format otb \\
        [--threshold 0.7] [--json OUT]

Steps (every figure is printed next to its target, with PASS/MISS):

1. **Ground truth.** OTB form: ``img/*.jpg`` and ``groundtruth_rect.txt``, one ``x,y,w,h`` box per line
   (commas, tabs or spaces; 1-based pixels). VOT form: the frames and ``groundtruth.txt`` with one 8-number
   polygon per line (or a 4-number rectangle), taken as its enclosing box. Boxes are clipped to the image (a
   person draws inside it); a missing or empty box means the object is not visible there.
2. **Import.** The frames become one video item the normal way: ``import_source(..., fmt="video")`` on the
   image folder into a fresh SQLite hub in a temporary folder; the frames are then read back from the media
   store in frame order (the item's ``meta["frames"]`` keys) and decoded once (timed: decoding).
3. **Simulated annotator.** It draws the ground-truth box on frame 0; the system fills the other frames;
   while some frame's IoU with the ground truth is below ``--threshold``, the person draws the true box on one
   more frame, which becomes a keyframe, and the system re-propagates (only the affected segments). Frames
   the system calls outside where the object is visible count as IoU 0. Four ways to compare:
   - **frame by frame**: a box on every frame;
   - **interpolation, oracle**: linear interpolation, the next frame is the one with the lowest IoU;
   - **propagation, oracle**: tracking propagation, the next frame is the one with the lowest IoU;
   - **propagation, guided**: tracking propagation, the next frame is the system's top suggested frame (it
     never sees the ground truth; a suggestion that was already good still costs a box).
4. **Speed.** Propagation over the whole sequence from keyframes on its first and last frame (a forward and a
   backward pass over every frame, in ``--workers`` threads), on the frames as they are and resized to
   640x480, with the frames already decoded; decoding (``cv2.imread`` of the stored JPEGs, and of the same
   frames re-encoded at 640x480) is measured on its own. The re-propagation rate inside the annotator loops is
   given for information.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from _util import Table, log, machine_info, machine_load, report, stopwatch

TARGET_VS_FRAMES = 10.0
TARGET_VS_INTERPOLATION = 2.0
TARGET_GUIDED_VS_ORACLE = 1.5
TARGET_FPS = 100.0
SPEED_SIZE = (640, 480)

Box = tuple[float, float, float, float]


# --- 1. ground truth --------------------------------------------------------------------------------------
def _numbers(line: str) -> list[float]:
    return [float(v) for v in re.split(r"[,\s]+", line.strip()) if v]


def read_otb(folder: Path) -> tuple[Path, list[Box | None]]:
    """Return the image folder and the boxes of an OTB sequence (``x, y, w, h``, 1-based) as ``x1, y1, x2, y2``."""
    boxes: list[Box | None] = []
    for line in (folder / "groundtruth_rect.txt").read_text().splitlines():
        if not line.strip():
            continue
        x, y, w, h = _numbers(line)[:4]
        ok = all(math.isfinite(v) for v in (x, y, w, h)) and w > 0 and h > 0
        boxes.append((x - 1, y - 1, x - 1 + w, y - 1 + h) if ok else None)
    return folder / "img", boxes


def read_vot(folder: Path) -> tuple[Path, list[Box | None]]:
    """Return the frame folder and the enclosing boxes of a VOT sequence's polygons (or rectangles)."""
    boxes: list[Box | None] = []
    for line in (folder / "groundtruth.txt").read_text().splitlines():
        if not line.strip():
            continue
        v = _numbers(line)
        if len(v) == 4:  # VOT rectangle: x, y, w, h (0-based)
            v = [v[0], v[1], v[0] + v[2], v[1], v[0] + v[2], v[1] + v[3], v[0], v[1] + v[3]]
        xs, ys = v[0::2], v[1::2]
        ok = all(math.isfinite(c) for c in v) and max(xs) > min(xs) and max(ys) > min(ys)
        boxes.append((min(xs), min(ys), max(xs), max(ys)) if ok else None)
    return folder, boxes


def clip_truth(boxes: list[Box | None], width: int, height: int) -> list[Box | None]:
    """Return the boxes cut to the image; a box with less than a pixel inside means not visible."""
    out: list[Box | None] = []
    for b in boxes:
        if b is None:
            out.append(None)
            continue
        c = (max(0.0, b[0]), max(0.0, b[1]), min(float(width), b[2]), min(float(height), b[3]))
        out.append(c if c[2] - c[0] >= 1 and c[3] - c[1] >= 1 else None)
    return out


# --- 2. import through labelhub ---------------------------------------------------------------------------
def import_frames(images: Path, work: Path) -> tuple[list[Path], dict[str, Any]]:
    """Import ``images`` as one video item into a fresh SQLite hub; return its stored frame files in order."""
    from sqlalchemy import select

    from labelhub.config import Settings
    from labelhub.domain.enums import ItemKind
    from labelhub.domain.schema import LabelSchema
    from labelhub.hub import Hub
    from labelhub.services.access import Actor
    from labelhub.services.imports import import_source
    from labelhub.services.projects import create_project
    from labelhub.services.users import actor_for, create_user
    from labelhub.storage.models import Item, Media

    home = work / "home"
    hub = Hub.open(Settings(home=home, database_url=f"sqlite:///{work / 'labelhub.db'}", dev=True))
    try:
        with hub.db.session(write=True) as s:
            user = create_user(s, Actor.system(), "bench-admin", "bench-admin-password", is_admin=True)
            actor = actor_for(user)
            pid = create_project(s, actor, "tracking", item_kind=ItemKind.VIDEO,
                                 schema=LabelSchema.from_names(["object"])).id  # fmt: skip
        with stopwatch() as t:
            report = import_source(hub, actor, pid, images, fmt="video")
        with hub.db.session() as s:
            items = list(s.scalars(select(Item).where(Item.project_id == pid)))
            if len(items) != 1:
                raise RuntimeError(f"expected one video item, the import made {len(items)}")
            item = items[0]
            keys: list[str] = list(item.meta["frames"])
            links = {k: p for k, p in s.execute(select(Media.key, Media.path).where(Media.key.in_(keys)))}
            info = {"item": item.name, "kind": item.kind, "frame_count": item.frame_count, "fps": item.fps,
                    "width": item.width, "height": item.height, "import_s": round(t[0], 3),
                    "items_added": report.items_added}  # fmt: skip
        paths = []
        for key in keys:
            path = hub.media.local_path(key, links.get(key))
            if path is None:
                raise RuntimeError(f"frame {key} has no file in the media store")
            paths.append(path)
        return paths, info
    finally:
        hub.close()


def decode(paths: Sequence[Path]) -> tuple[list[np.ndarray], float]:
    """Return every frame decoded (BGR) and the seconds decoding took."""
    from labelhub.tracking import ImageFileFrames

    with stopwatch() as t:
        source = ImageFileFrames(paths, cache_frames=len(paths))
        frames = [source.frame(i) for i in range(len(paths))]
    return frames, t[0]


# --- 3. the simulated annotator ---------------------------------------------------------------------------
def frame_ious(track: Any, truth: list[Box | None]) -> np.ndarray:
    """IoU of each frame with the truth: outside where the object is visible is 0, outside where it is not is 1."""
    from labelhub.tracking._boxes import iou

    out = np.zeros(len(truth))
    for i, (fb, t) in enumerate(zip(track.boxes, truth, strict=True)):
        if t is None:
            out[i] = 0.0 if fb.visible else 1.0
        elif fb.visible and fb.box is not None:
            out[i] = iou(fb.box, t)
    return out


def keyframe(truth: list[Box | None], frame: int) -> Any:
    from labelhub.tracking import Keyframe

    return Keyframe(frame, truth[frame])


def annotate(
    truth: list[Box | None],
    threshold: float,
    start: Callable[[list[Any]], Any],
    add: Callable[[Any, Any], Any],
    track_of: Callable[[Any], Any],
    pick: Callable[[Any, np.ndarray], int],
) -> dict[str, Any]:
    """Run the annotator loop; return the boxes drawn, the frames they were drawn on and the time taken."""
    n = len(truth)
    first_visible = next(i for i, t in enumerate(truth) if t is not None)
    drawn = [first_visible]
    with stopwatch() as t:
        state = start([keyframe(truth, first_visible)])
        first_iou = float(frame_ious(track_of(state), truth).mean())
        recomputed = 0
        while len(drawn) < n:
            ious = frame_ious(track_of(state), truth)
            if ious.min() >= threshold:
                break
            nxt = pick(state, ious)
            drawn.append(nxt)
            state = add(state, keyframe(truth, nxt))
            changed = getattr(state, "changed", None)  # a Propagation says which frames it recomputed
            if changed is not None:
                recomputed += changed[1] - changed[0] + 1
    final = frame_ious(track_of(state), truth)
    return {"boxes": len(drawn), "frames": drawn, "seconds": round(t[0], 3), "first_keyframe_mean_iou":
            round(first_iou, 4), "final_mean_iou": round(float(final.mean()), 4),
            "final_min_iou": round(float(final.min()), 4), "recomputed_frames": recomputed}  # fmt: skip


def run_loops(frames: Any, truth: list[Box | None], threshold: float, config: Any) -> dict[str, Any]:
    from labelhub.tracking import interpolate, propagate, set_keyframe, suggest_frames

    n, size = len(frames), frames.size

    def oracle(_state: Any, ious: np.ndarray) -> int:
        return int(np.argmin(ious))

    def guided(state: Any, _ious: np.ndarray) -> int:
        return suggest_frames(state.track, 1)[0].frame

    def interp_start(kfs: list[Any]) -> Any:
        return interpolate(n, kfs, size=size)

    def interp_add(track: Any, kf: Any) -> Any:
        return interpolate(n, [*track.keyframes, kf], size=size)

    def prop_start(kfs: list[Any]) -> Any:
        return propagate(frames, kfs, config=config)

    def prop_add(state: Any, kf: Any) -> Any:
        return set_keyframe(state, frames, kf)

    out: dict[str, Any] = {}
    log("interpolation, oracle")
    out["interpolation_oracle"] = annotate(truth, threshold, interp_start, interp_add, lambda t: t, oracle)
    log(f"  -> {out['interpolation_oracle']['boxes']} boxes")
    for mode, pick in (("oracle", oracle), ("guided", guided)):
        log(f"propagation, {mode}")
        res = annotate(truth, threshold, prop_start, prop_add, lambda s: s.track, pick)
        res["repropagation_frames_per_s"] = round(res["recomputed_frames"] / res["seconds"], 1)
        out[f"propagation_{mode}"] = res
        log(f"  -> {res['boxes']} boxes in {res['seconds']:.1f} s")
    line = interpolate(n, [keyframe(truth, 0), keyframe(truth, n - 1)], size=size)
    out["interpolation_first_last_mean_iou"] = round(float(frame_ious(line, truth).mean()), 4)
    return out


# --- 4. speed ---------------------------------------------------------------------------------------------
Frames = list[np.ndarray]


def resized(frames: Frames, truth: list[Box | None], size: tuple[int, int]) -> tuple[Frames, list[Box | None]]:
    """Return the frames and boxes scaled to ``size`` (width, height)."""
    h, w = frames[0].shape[:2]
    sx, sy = size[0] / w, size[1] / h
    out_frames = [np.asarray(cv2.resize(f, size, interpolation=cv2.INTER_LINEAR), dtype=np.uint8) for f in frames]
    out_truth: list[Box | None] = [None if b is None else (b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy) for b in truth]
    return out_frames, out_truth


def speed(frames: list[np.ndarray], truth: list[Box | None], config: Any, repeats: int) -> dict[str, Any]:
    """Propagation frames/s over the whole sequence (both passes) and for one forward pass, best of ``repeats``."""
    from labelhub.tracking import ArrayFrames, propagate

    source = ArrayFrames(frames)
    n = len(frames)
    ends = [i for i, t in enumerate(truth) if t is not None]
    a, b = ends[0], ends[-1]
    both, forward = [], []
    for _ in range(repeats):
        with stopwatch() as t:
            r = propagate(source, [keyframe(truth, a), keyframe(truth, b)], config=config)
        both.append((n - 2) / t[0])
        with stopwatch() as t:
            f = propagate(source, [keyframe(truth, a)], config=config)
        forward.append(f.tracked_frames / t[0])
    return {"size": list(source.size), "frames": n, "two_pass_frames_per_s": round(max(both), 1),
            "tracker_updates_two_pass": r.tracked_frames, "forward_pass_frames_per_s": round(max(forward), 1),
            "runs": repeats}  # fmt: skip


def decode_speed(frames: list[np.ndarray], work: Path, size: tuple[int, int]) -> float:
    """Frames/s of ``cv2.imread`` on the frames re-encoded as JPEG (quality 90) at ``size``."""
    folder = work / f"jpeg-{size[0]}x{size[1]}"
    folder.mkdir()
    paths = []
    for i, f in enumerate(frames):
        p = folder / f"{i:05d}.jpg"
        cv2.imwrite(str(p), cv2.resize(f, size), [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(p)
    _, seconds = decode(paths)
    return len(paths) / seconds


# --- the benchmark ----------------------------------------------------------------------------------------
def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from labelhub.tracking import ArrayFrames, PropagationConfig

    cv2.setNumThreads(1)  # the passes run in their own threads; OpenCV's pool on top would oversubscribe
    out: dict[str, Any] = {"machine": machine_info(), "load": {"start": machine_load()},
                           "config": {k: str(v) for k, v in vars(args).items() if k != "json"}}  # fmt: skip
    images, raw = (read_otb if args.format == "otb" else read_vot)(args.sequence)
    log(f"importing {images} as one video item")
    paths, item = import_frames(images, work)
    out["item"] = item
    if len(paths) != len(raw):
        raise RuntimeError(f"{len(paths)} frames but {len(raw)} ground-truth boxes")
    decoded, seconds = decode(paths)
    out["decode"] = {"frames_per_s": round(len(paths) / seconds, 1)}
    height, width = decoded[0].shape[:2]
    truth = clip_truth(raw, width, height)
    frames = ArrayFrames(decoded)
    config = PropagationConfig(tracker=args.tracker, workers=args.workers)
    out["sequence"] = {"name": args.sequence.name, "format": args.format, "frames": len(paths),
                       "size": [width, height], "visible_frames": sum(t is not None for t in truth)}  # fmt: skip
    out["loops"] = run_loops(frames, truth, args.threshold, config)
    log("speed")
    out["speed"] = {"native": speed(decoded, truth, config, args.repeats)}
    big, big_truth = resized(decoded, truth, SPEED_SIZE)
    out["speed"]["640x480"] = speed(big, big_truth, config, args.repeats)
    out["decode"]["frames_per_s_640x480"] = round(decode_speed(decoded, work, SPEED_SIZE), 1)
    out["load"]["end"] = machine_load()
    return out


def verdicts(out: dict[str, Any], threshold: float) -> Table:
    seq, loops, sp = out["sequence"], out["loops"], out["speed"]
    m = out["machine"]
    n = seq["frames"]
    interp = loops["interpolation_oracle"]["boxes"]
    oracle = loops["propagation_oracle"]["boxes"]
    guided = loops["propagation_guided"]["boxes"]
    w, h = seq["size"]
    table = Table(f"labelhub tracking benchmark: {seq['name']} ({seq['format']}, {n} frames, {w}x{h}), "
                  f"IoU >= {threshold}, {m['cpus']} CPUs ({m['cpu_model']}), {m['date']}")  # fmt: skip
    table.add("human boxes, frame by frame", f"{n}")
    table.add("human boxes, interpolation + oracle", f"{interp}")
    table.add("human boxes, propagation + oracle", f"{oracle}")
    table.add("human boxes, propagation + guided", f"{guided}")
    table.add("  frame by frame / propagation oracle", f"{n / oracle:.1f}x", f">= {TARGET_VS_FRAMES:.0f}x",
              n / oracle >= TARGET_VS_FRAMES)  # fmt: skip
    table.add("  interpolation / propagation oracle", f"{interp / oracle:.2f}x", f">= {TARGET_VS_INTERPOLATION:.0f}x",
              interp / oracle >= TARGET_VS_INTERPOLATION)  # fmt: skip
    table.add("  guided / oracle", f"{guided / oracle:.2f}x", f"<= {TARGET_GUIDED_VS_ORACLE}x",
              guided / oracle <= TARGET_GUIDED_VS_ORACLE)  # fmt: skip
    table.add("  frame by frame / propagation guided", f"{n / guided:.1f}x")
    table.add("  interpolation / propagation guided", f"{interp / guided:.2f}x")
    first = loops["propagation_oracle"]["first_keyframe_mean_iou"]
    table.add("mean IoU after the first keyframe alone", f"{first:.3f}")
    table.add("  interpolation between first and last box", f"{loops['interpolation_first_last_mean_iou']:.3f}")
    for name, r in sp.items():
        what = f"propagation frames/s, {r['size'][0]}x{r['size'][1]}, both passes"
        target, ok = ("", None)
        if name == "640x480":
            target, ok = f">= {TARGET_FPS:.0f}", r["two_pass_frames_per_s"] >= TARGET_FPS
        table.add(what, f"{r['two_pass_frames_per_s']:.0f}", target, ok)
        table.add(f"  one forward pass, {r['size'][0]}x{r['size'][1]}", f"{r['forward_pass_frames_per_s']:.0f}")
    for mode in ("oracle", "guided"):
        table.add(f"re-propagation frames/s in the {mode} loop",
                  f"{loops[f'propagation_{mode}']['repropagation_frames_per_s']:.0f}")  # fmt: skip
    dec = out["decode"]
    table.add("decoding frames/s (JPEG), native / 640x480",
              f"{dec['frames_per_s']:.0f} / {dec['frames_per_s_640x480']:.0f}")  # fmt: skip
    table.add_load(out)
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sequence", type=Path, required=True, help="the sequence folder (OTB or VOT layout)")
    p.add_argument("--format", choices=("otb", "vot"), required=True, help="the ground truth's format")
    p.add_argument("--threshold", type=float, default=0.7, help="IoU every frame must reach")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--tracker", default="csrt", help="tracker backend (labelhub.tracking.tracker_names())")
    p.add_argument("--workers", type=int, default=2, help="threads the passes run in")
    p.add_argument("--repeats", type=int, default=3, help="speed runs; the best counts")
    p.add_argument("--fail-on-miss", action="store_true", help="exit with status 1 when a target is missed")
    args = p.parse_args(argv)
    if not 0 < args.threshold <= 1:
        p.error("--threshold must be in (0, 1]")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="labelhub-bench-tracking-") as tmp:
        out = run(args, Path(tmp))
    return report(out, verdicts(out, args.threshold), args.json, fail_on_miss=args.fail_on_miss)


if __name__ == "__main__":
    sys.exit(main())
