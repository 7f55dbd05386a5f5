"""Video benchmark: frames for the browser (play, scrub) and propagation as a job, through a real server.

    python benchmarks/bench_video.py [--sequence ../shared/data/tracking_vot2016_bag --format vot] [--json OUT]

1. **A video file.** The sequence's frames, resized to 640x480, written as one MPEG-4 (``mp4v``) file: a real
   codec with keyframes every 12 frames, so a seek decodes from the previous keyframe, as with camera files.
   It is imported through ``import_source(..., fmt="video")`` into a fresh SQLite hub, and ``labelhub serve``
   (with its job worker) runs on it.
2. **Playing.** Frames in order, as the editor asks for them: ``GET .../frames?start&count=30`` (the server
   decodes the range in order into its JPEG cache), then every frame's URL. Cold (nothing cached), then again
   cached. Target: faster than real time at 30 frames/s.
3. **Scrubbing.** Single frames at random places: cold (the cache emptied; a seek and a decode each) and
   cached. Target: p95 under 100 ms cold and 20 ms cached (the editor shows a frame within one or two
   animation frames of the mouse). Baseline, measured in the same run: a server without a cache or open
   decoders, which opens the file, seeks, decodes and encodes per request (``cv2.VideoCapture`` in this
   process; no HTTP, so the baseline is if anything flattered).
4. **Propagation as a job.** ``POST .../tracks`` with the first ground-truth box, then the job is followed to
   the end: wall time from the request to "succeeded" and frames/s over the video (frames decoded from the
   video file on the way). For comparison, the engine alone on the same frames already decoded in memory
   (the ``bench_tracking`` speed figure). Target: 100 frames/s through the job too.
5. **An edit.** With keyframes at a quarter and at half of the video, ``PUT .../keyframes/{3/8}`` with the
   true box there: wall time until its job has succeeded, and the tracker updates it needed (the frames
   between its neighbouring keyframes), against the full propagation.
"""

from __future__ import annotations

import argparse
import http.client
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import orjson

from _store_setup import setup_hub, start_server
from _util import Table, code_version, log, machine_info, machine_load, report, summarize_ms
from bench_tracking import clip_truth, read_otb, read_vot

API = "/api/v1"
SIZE = (640, 480)
TARGET_PLAY_FPS = 30.0
TARGET_SCRUB_COLD_P95_MS = 100.0
TARGET_SCRUB_CACHED_P95_MS = 20.0
TARGET_JOB_FPS = 100.0


def write_video(images: Sequence[Path], dest: Path) -> tuple[int, float]:
    """Write ``images`` resized to SIZE as an mp4v file; return (frames, x scale) for the ground truth."""
    writer = cv2.VideoWriter(str(dest), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, SIZE)
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write mp4v here")
    scale = 1.0
    for p in images:
        image = cv2.imread(str(p))
        scale = SIZE[0] / image.shape[1]
        writer.write(cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA))
    writer.release()
    return len(images), scale


class Http:
    """One keep-alive connection with the bearer token (the browser's one connection per tab, roughly)."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        self.conn.request(method, path, orjson.dumps(body) if body is not None else None, self.headers)
        r = self.conn.getresponse()
        return r.status, r.read()

    def json(self, method: str, path: str, body: Any = None) -> Any:
        status, data = self.call(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return orjson.loads(data)


def play(client: Http, base: str, n: int) -> tuple[float, list[float]]:
    """Fetch every frame in order the way the editor plays; return (seconds, per-frame latencies)."""
    latencies: list[float] = []
    t0 = time.perf_counter()
    for start in range(0, n, 30):
        urls = client.json("GET", f"{base}/frames?start={start}&count=30")["urls"]
        for url in urls:
            t = time.perf_counter()
            status, data = client.call("GET", url)
            if status != 200 or not data:
                raise RuntimeError(f"GET {url}: {status}")
            latencies.append(time.perf_counter() - t)
    return time.perf_counter() - t0, latencies


def scrub(client: Http, base: str, frames: Sequence[int]) -> list[float]:
    out = []
    for f in frames:
        t = time.perf_counter()
        status, _ = client.call("GET", f"{base}/frames/{f}")
        if status != 200:
            raise RuntimeError(f"frame {f}: {status}")
        out.append(time.perf_counter() - t)
    return out


def naive_frame(video: Path, index: int) -> bytes:
    """The baseline: open, seek, decode, encode for one request."""
    cap = cv2.VideoCapture(str(video))
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, image = cap.read()
        if not ok:
            raise RuntimeError(f"frame {index} cannot be read")
        return bytes(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1])
    finally:
        cap.release()


def follow(client: Http, job_id: int) -> tuple[dict[str, Any], float]:
    t0 = time.perf_counter()
    while True:
        job: dict[str, Any] = client.json("GET", f"{API}/jobs/{job_id}")
        if job["status"] in ("succeeded", "failed", "cancelled"):
            if job["status"] != "succeeded":
                raise RuntimeError(f"job {job_id} {job['status']}: {job.get('error')}")
            return job, time.perf_counter() - t0
        time.sleep(0.02)


def engine_fps(video: Path, box: tuple[float, ...], n: int) -> float:
    from labelhub.tracking import ArrayFrames, Keyframe, propagate

    cap = cv2.VideoCapture(str(video))
    frames = [cap.read()[1] for _ in range(n)]
    cap.release()
    cv2.setNumThreads(1)
    t = time.perf_counter()
    propagate(ArrayFrames(frames), [Keyframe(0, box)])  # type: ignore[arg-type]
    return (n - 1) / (time.perf_counter() - t)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from labelhub.formats import ImportOptions
    from labelhub.services.imports import import_source
    from labelhub.services.projects import create_project

    out: dict[str, Any] = {"machine": machine_info(), "config": {k: str(v) for k, v in vars(args).items()}}
    out["load"] = {"start": machine_load()}
    out["code"] = code_version()
    images, truth = read_otb(args.sequence) if args.format == "otb" else read_vot(args.sequence)
    image_paths = sorted(p for p in images.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    video = work / "in" / "clip.mp4"
    video.parent.mkdir(parents=True)
    n, scale = write_video(image_paths, video)
    truth = clip_truth([tuple(c * scale for c in b) if b else None for b in truth], *SIZE)  # type: ignore[misc]
    log(f"{video.name}: {n} frames at {SIZE[0]}x{SIZE[1]}, {video.stat().st_size / 1e6:.1f} MB")

    home = work / "home"
    setup = setup_hub(home, "")
    from labelhub.domain.enums import ItemKind
    from labelhub.domain.schema import LabelSchema

    with setup.hub.db.session(write=True) as s:
        pid = create_project(s, setup.actor, "video", item_kind=ItemKind.VIDEO,
                             schema=LabelSchema.from_names(["object"])).id  # fmt: skip
    import_source(setup.hub, setup.actor, pid, video.parent, fmt="video", options=ImportOptions(media="copy"))
    setup.hub.close()
    server = start_server(home, f"sqlite:///{(home / 'labelhub.db').resolve()}", work / "server.log",
                          job_worker=True)  # fmt: skip
    try:
        client = Http(server.port, setup.token)
        (item,) = client.json("GET", f"{API}/projects/{pid}/items")["items"]
        base = f"{API}/projects/{pid}/items/{item['id']}"
        frames_dir = home / "frames"

        seconds, cold = play(client, base, n)
        out["play_cold"] = {"fps": round(n / seconds, 1), "latency_ms": summarize_ms(cold)}
        seconds, warm = play(client, base, n)
        out["play_cached"] = {"fps": round(n / seconds, 1), "latency_ms": summarize_ms(warm)}
        log(f"play: cold {out['play_cold']['fps']} frames/s, cached {out['play_cached']['fps']} frames/s")

        rng = random.Random(3)
        jumps = [rng.randrange(n) for _ in range(args.jumps)]
        shutil.rmtree(frames_dir)
        out["scrub_cold_ms"] = summarize_ms(scrub(client, base, jumps))
        out["scrub_cached_ms"] = summarize_ms(scrub(client, base, jumps))
        naive = []
        for f in jumps:
            t = time.perf_counter()
            naive_frame(video, f)
            naive.append(time.perf_counter() - t)
        out["scrub_naive_ms"] = summarize_ms(naive)
        t = time.perf_counter()
        for f in range(n):
            naive_frame(video, f)
        out["play_naive_fps"] = round(n / (time.perf_counter() - t), 1)
        log(f"scrub p95: cold {out['scrub_cold_ms']['p95_ms']} ms, cached {out['scrub_cached_ms']['p95_ms']} ms, "
            f"naive {out['scrub_naive_ms']['p95_ms']} ms")  # fmt: skip

        shutil.rmtree(frames_dir)  # the job decodes the video itself
        first = next(i for i, b in enumerate(truth) if b)
        tracks = client.json("GET", f"{base}/tracks")
        t = time.perf_counter()
        made = client.json("POST", f"{base}/tracks", {"version": tracks["version"], "label": "object",
                                                       "frame": first, "box": list(truth[first])})  # fmt: skip
        job, _ = follow(client, made["job"]["id"])
        wall = time.perf_counter() - t
        out["job_full"] = {"wall_s": round(wall, 2), "fps": round((n - 1) / wall, 1), "result": job["result"]}
        out["engine_fps"] = round(engine_fps(video, truth[first], n), 1)  # type: ignore[arg-type]
        log(f"propagation job: {wall:.2f} s, {out['job_full']['fps']} frames/s; engine alone {out['engine_fps']}")

        # Two more keyframes (at a quarter and a half), then the edit measured: one between them.
        tid, version = made["track"]["track_id"], made["version"]
        url = f"{base}/tracks/{tid}/keyframes"
        for at in (n // 4, n // 2):
            frame = next(i for i in range(at, n) if truth[i])
            done = client.json("PUT", f"{url}/{frame}", {"version": version, "box": list(truth[frame])})
            version = done["version"]
            follow(client, done["job"]["id"])
        middle = next(i for i in range(3 * n // 8, n) if truth[i])
        t = time.perf_counter()
        edit = client.json("PUT", f"{url}/{middle}", {"version": version, "box": list(truth[middle])})
        job, _ = follow(client, edit["job"]["id"])
        out["job_edit"] = {"wall_s": round(time.perf_counter() - t, 2), "frame": middle, "result": job["result"]}
        log(f"edit at {middle}: {out['job_edit']['wall_s']} s, {job['result']['tracked_frames']} tracker updates")
        out["frames"] = n
    finally:
        server.stop()
    out["load"]["end"] = machine_load()
    return out


def verdicts(out: dict[str, Any]) -> Table:
    t = Table(f"bench_video: {out['frames']} frames at {SIZE[0]}x{SIZE[1]} (mp4v), SQLite, one server process")
    pc, pw = out["play_cold"], out["play_cached"]
    t.add("play, cold (decode + JPEG + HTTP), frames/s", f"{pc['fps']:.0f}", f">= {TARGET_PLAY_FPS:.0f}",
          pc["fps"] >= TARGET_PLAY_FPS)  # fmt: skip
    t.add("play, cached, frames/s", f"{pw['fps']:.0f}", f">= {TARGET_PLAY_FPS:.0f}", pw["fps"] >= TARGET_PLAY_FPS)
    t.add("play, naive (open + seek per frame), frames/s", f"{out['play_naive_fps']:.0f}")
    t.add("  cold play vs naive", f"{pc['fps'] / out['play_naive_fps']:.1f}x")
    sc, sw, sn = out["scrub_cold_ms"], out["scrub_cached_ms"], out["scrub_naive_ms"]
    t.add("scrub jump, cold, p50 / p95 ms", f"{sc['p50_ms']:.1f} / {sc['p95_ms']:.1f}",
          f"p95 < {TARGET_SCRUB_COLD_P95_MS:.0f}", sc["p95_ms"] < TARGET_SCRUB_COLD_P95_MS)  # fmt: skip
    t.add("scrub jump, cached, p50 / p95 ms", f"{sw['p50_ms']:.1f} / {sw['p95_ms']:.1f}",
          f"p95 < {TARGET_SCRUB_CACHED_P95_MS:.0f}", sw["p95_ms"] < TARGET_SCRUB_CACHED_P95_MS)  # fmt: skip
    t.add("scrub jump, naive, p50 / p95 ms", f"{sn['p50_ms']:.1f} / {sn['p95_ms']:.1f}")
    t.add("  naive / cached p95", f"{sn['p95_ms'] / sw['p95_ms']:.1f}x")
    jf = out["job_full"]
    t.add("propagation job, request to done, frames/s", f"{jf['fps']:.0f}", f">= {TARGET_JOB_FPS:.0f}",
          jf["fps"] >= TARGET_JOB_FPS)  # fmt: skip
    t.add("  wall s / job's own s", f"{jf['wall_s']:.2f} / {jf['result']['seconds']:.2f}")
    t.add("  engine alone on decoded frames, frames/s", f"{out['engine_fps']:.0f}")
    t.add("  job / engine", f"{jf['fps'] / out['engine_fps']:.2f}x")
    je = out["job_edit"]
    t.add(f"edit at frame {je['frame']}: request to done, s", f"{je['wall_s']:.2f}")
    t.add("  tracker updates, edit / full", f"{je['result']['tracked_frames']} / {jf['result']['tracked_frames']}")
    t.add("  full job / edit job, wall", f"{jf['wall_s'] / je['wall_s']:.1f}x")
    return t


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--sequence", type=Path, default=here.parent.parent / "shared/data/tracking_vot2016_bag")
    p.add_argument("--format", choices=("otb", "vot"), default="vot")
    p.add_argument("--jumps", type=int, default=40, help="random frames fetched when scrubbing")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--fail-on-miss", action="store_true")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-video-") as tmp:
        out = run(args, Path(tmp))
    return report(out, verdicts(out), args.json, fail_on_miss=args.fail_on_miss)


if __name__ == "__main__":
    sys.exit(main())
