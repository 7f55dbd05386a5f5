"""Grid scroll benchmark: frame intervals while scrolling the project grid, with "Labels" off and on.

    python benchmarks/bench_grid_scroll.py [--items 600 --boxes 8 --frames 600] [--json OUT]

1. Generates ``--items`` JPEG images (640x480, every fourth 480x640 so both fits of the thumbnail occur) with a
   COCO file: ``--boxes`` boxes per image, a 40-point polygon on every image and a mask (an ellipse, compressed
   RLE) on every third; imports them (media copied) into a fresh SQLite hub, starts ``labelhub serve`` and
   fetches every thumbnail once, so the server is not making thumbnails while the browser scrolls.
2. In headless Debian Chromium (Playwright, 1440x900, default 60 Hz pacing), logs in and opens the project.
   For each case, ``--frames`` animation frames, each scrolling the grid by ``--step`` px (down to the end,
   then back up), measured in the page with ``requestAnimationFrame``: the interval between frames, p50 / p95 /
   max, and the share of frames longer than 1.5 refreshes (25 ms: a dropped frame). ``--uncapped`` turns the
   frame-rate limit off (``--disable-frame-rate-limit --disable-gpu-vsync``): frames come as fast as the
   pipeline allows, so an interval is the whole frame's cost.
   - Labels off: the plain grid.
   - Labels on, first pass: shapes are fetched as the view rests (debounced) and drawn as they arrive.
   - Labels on, second pass: every item's shapes are cached; each row that scrolls in draws its SVG.
3. How many shape requests each pass made (the page counts them).

Headless Chromium has no GPU here: the page is rasterised in software, a harder case than a desktop browser.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from _store_setup import fresh_database, setup_hub, start_server
from _util import Table, log, machine_load, percentile, report, run_record

API = "/api/v1"
DROPPED_MS = 25.0

SCROLL_JS = """async ([frames, step]) => {
  const grid = document.querySelector('[data-testid="grid"]');
  const times = [];
  let dir = 1;
  await new Promise((done) => {
    let n = 0;
    const tick = (t) => {
      times.push(t);
      if (++n > frames) return done();
      if (grid.scrollTop + grid.clientHeight >= grid.scrollHeight - 1) dir = -1;
      else if (grid.scrollTop <= 0) dir = 1;
      grid.scrollTop += dir * step;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  return times.slice(1).map((t, i) => t - times[i]);
}"""


def _dataset(folder: Path, n: int, boxes: int, seed: int) -> Path:
    import numpy as np
    from PIL import Image, ImageDraw
    from pycocotools import mask as mask_utils  # type: ignore[import-untyped]

    rng = random.Random(seed)
    images, anns = [], []
    folder.mkdir(parents=True)
    for i in range(n):
        w, h = (480, 640) if i % 4 == 3 else (640, 480)
        img = Image.new("RGB", (w, h), (90 + i % 100, 130, 180))
        d = ImageDraw.Draw(img)
        d.rectangle([0, int(h * 0.6), w, h], fill=(70, 72, 78))
        img.save(folder / f"img{i:05d}.jpg", quality=80)
        images.append({"id": i + 1, "file_name": f"img{i:05d}.jpg", "width": w, "height": h})
        for _ in range(boxes):
            x, y = rng.uniform(0, w - 60), rng.uniform(0, h - 60)
            anns.append({"image_id": i + 1, "category_id": rng.randrange(8) + 1, "iscrowd": 0,
                         "bbox": [x, y, rng.uniform(10, 60), rng.uniform(10, 60)]})  # fmt: skip
        cx, cy, r = w / 2, h / 2, min(w, h) / 4
        poly = [float(v) for k in range(40) for v in (cx + r * np.cos(k / 40 * 6.283), cy + r * np.sin(k / 40 * 6.283))]
        anns.append({"image_id": i + 1, "category_id": 1, "iscrowd": 0, "segmentation": [poly],
                     "bbox": [cx - r, cy - r, 2 * r, 2 * r]})  # fmt: skip
        if i % 3 == 0:
            yy, xx = np.ogrid[:h, :w]
            m = np.asfortranarray((((xx - w * 0.3) / 60) ** 2 + ((yy - h * 0.7) / 40) ** 2 <= 1).astype(np.uint8))
            rle = mask_utils.encode(m)
            anns.append({"image_id": i + 1, "category_id": 2, "iscrowd": 1,
                         "bbox": [float(v) for v in mask_utils.toBbox(rle)],
                         "segmentation": {"size": [h, w], "counts": rle["counts"].decode("ascii")}})  # fmt: skip
    for k, a in enumerate(anns):
        a["id"] = k + 1
    cats = [{"id": c + 1, "name": f"class_{c}"} for c in range(8)]
    path = folder / "instances.json"
    path.write_bytes(orjson.dumps({"images": images, "annotations": anns, "categories": cats}))
    return path


def _intervals(page: Any, frames: int, step: int) -> list[float]:
    page.evaluate("document.querySelector('[data-testid=\"grid\"]').scrollTop = 0")
    page.wait_for_timeout(300)
    out: list[float] = page.evaluate(SCROLL_JS, [frames, step])
    return out


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "max_ms": round(max(values), 2),
        "dropped_pct": round(100 * sum(v > DROPPED_MS for v in values) / len(values), 1),
    }


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import httpx
    from playwright.sync_api import sync_playwright

    from labelhub.formats import ImportOptions
    from labelhub.services.imports import import_source

    out = run_record(args)
    log(f"generating {args.items} images")
    coco = _dataset(work / "data", args.items, args.boxes, args.seed)
    db_url = fresh_database("sqlite", work, "")
    st = setup_hub(work / "home", db_url)
    import_source(st.hub, st.actor, st.project_id, coco, fmt="coco", options=ImportOptions(media="copy"))
    st.hub.close()
    server = start_server(work / "home", db_url, work / "server.log")
    pid = st.project_id
    try:
        with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {st.token}"}) as http:
            ids = [it["id"] for it in http.get(f"{API}/projects/{pid}/items", params={"limit": 1000}).json()["items"]]
            log(f"warming {len(ids)} thumbnails")
            for iid in ids:
                http.get(f"{API}/projects/{pid}/items/{iid}/thumbnail", params={"size": 256}).raise_for_status()
        results: dict[str, Any] = {}
        with sync_playwright() as pw:
            flags = ["--disable-frame-rate-limit", "--disable-gpu-vsync"] if args.uncapped else []
            browser = pw.chromium.launch(executable_path=args.chromium, headless=True, args=flags)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
            shape_requests: list[str] = []
            page.on("request", lambda r: shape_requests.append(r.url) if "/items/shapes" in r.url else None)
            page.goto(server.base + "/")
            page.get_by_label("Username").fill("bench-admin")
            page.get_by_label("Password").fill("bench-admin-password")
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("heading", name="Projects", exact=True).wait_for()
            for case, on in (("labels off", False), ("labels on, first pass", True),
                             ("labels on, second pass", True)):  # fmt: skip
                if case != "labels on, second pass":
                    page.evaluate(f"localStorage.setItem('labelhub.grid.labels', '{'on' if on else 'off'}')")
                    page.goto(f"{server.base}/#/projects/{pid}")
                    page.reload()
                    page.get_by_test_id("thumb").first.wait_for()
                    grid = page.get_by_test_id("grid")
                    # Load every page of items first: the case measures drawing, not the list's paging.
                    for _ in range(100):
                        if grid.get_attribute("data-done") == "true":
                            break
                        grid.evaluate("el => { el.scrollTop = el.scrollHeight; }")
                        page.wait_for_timeout(150)
                before = len(shape_requests)
                vals = _intervals(page, args.frames, args.step)
                page.wait_for_timeout(600)
                results[case] = {**_summary(vals), "shape_requests": len(shape_requests) - before,
                                 "svg_in_view": page.locator('[data-testid="thumb-shapes"]').count()}  # fmt: skip
                log(f"{case}: {results[case]}")
            browser.close()
        out["results"] = results
        out["load"]["end"] = machine_load()
    finally:
        server.stop()
    return out


def verdicts(out: dict[str, Any]) -> Table:
    pacing = "frame-rate limit off" if out["config"]["uncapped"] else "60 Hz pacing"
    table = Table(f"grid scroll, frame intervals ({pacing}, software raster)")
    table.add_load(out)
    for case, r in out["results"].items():
        table.add(f"{case}: interval p50 / p95 / max", f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f} / {r['max_ms']:.0f} ms")
        table.add(f"{case}: frames over {DROPPED_MS:.0f} ms", f"{r['dropped_pct']:.1f} %")
        table.add(f"{case}: shape requests", str(r["shape_requests"]))
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--items", type=int, default=600, help="images to generate and import")
    p.add_argument("--boxes", type=int, default=8, help="boxes per image (plus a polygon, a mask on every third)")
    p.add_argument("--frames", type=int, default=600, help="animation frames per case")
    p.add_argument("--step", type=int, default=40, help="pixels scrolled per frame")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--uncapped", action="store_true", help="frame-rate limit off: an interval is a frame's whole cost")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="labelhub-bench-scroll-") as tmp:
        out = run(args, Path(tmp))
    out["seconds"] = round(time.time() - started, 1)
    return report(out, verdicts(out), args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
