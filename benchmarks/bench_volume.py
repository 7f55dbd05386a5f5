"""Volume benchmark: NIfTI import and export, slices over HTTP, frame-scoped saves and "Fill between slices".

    python benchmarks/bench_volume.py [--slices 300] [--msd ../shared/data/medical_msd_hippocampus_subset40]
        [--json OUT]

1. **Data.** A synthetic CT-like volume of 512 x 512 x ``--slices`` ``int16`` voxels in Hounsfield units (air,
   an elliptic body, a spine, two lungs, a liver, seeded noise; 0.7 x 0.7 x 1.0 mm) written as ``.nii.gz`` by
   nibabel, and, when present, the 40 MRI volumes of ``--msd`` (Medical Segmentation Decathlon hippocampus, about
   35 x 50 x 35 each, with label maps). Each is imported through ``import_source(..., fmt="nifti")`` (media
   copied) into a fresh SQLite home: wall time.
2. **Slices over HTTP.** ``labelhub serve`` (one process, no job worker) on that home, called over one
   keep-alive connection (``http.client``, as bench_video does). *First slice*: the first ``GET .../slices/k`` of
   a volume on the fresh server, which reads and decodes the NIfTI file into the server's volume cache (for
   the 40 MSD volumes: each one's first slice, p50/p95). *Warm slices*: random slices of the cached volume
   (no ``If-None-Match``: every answer is a 200 with the body), p50/p95 and bytes. Baseline, measured in the
   same run on the same slices: the slice rendered on the server as an 8-bit PNG in the default window (window,
   ``uint8``, Pillow's PNG encoder; what a server that sent pictures would do per slice and per window change),
   timed in this process without HTTP (so the baseline is if anything flattered), with its bytes.
3. **Frame-scoped save.** ``PUT .../annotations?frame=k`` of one 512 x 512 mask (a person's brush stroke saved),
   p50/p95 over ``--saves`` saves on different slices.
4. **Fill between slices.** ``POST .../volume/fill`` between two masks 21 slices apart (20 slices filled) on the
   512 x 512 volume, over HTTP, repeated on ``--fills`` separate gaps; and the interpolation alone
   (:func:`labelhub.domain.volume_fill.fill_between`) on the same masks in this process.
5. **Export.** ``export_project(..., fmt="nifti")`` of each project (label maps painted from the masks, written
   as ``.nii.gz``): wall time.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from _store_setup import setup_hub, start_server
from _util import Table, log, machine_load, report, run_record, summarize_ms
from bench_video import Http

API = "/api/v1"
SIZE = 512
SPACING = (0.7, 0.7, 1.0)
FILL_GAP = 21  # the two drawn slices are this far apart: 20 slices between them are filled


def synthetic_ct(slices: int, seed: int = 0) -> np.ndarray:
    """Return a 512 x 512 x ``slices`` int16 CT-like torso in HU (RAS+), built slice by slice to keep memory low."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:SIZE, :SIZE].astype(np.float32)
    x, y = x.T, y.T  # index [x, y]
    body = ((x - 256) / 220) ** 2 + ((y - 250) / 160) ** 2 <= 1
    spine = ((x - 256) / 30) ** 2 + ((y - 130) / 30) ** 2 <= 1
    out = np.empty((SIZE, SIZE, slices), dtype=np.int16)
    for k in range(slices):
        t = k / max(slices - 1, 1)
        plane = np.full((SIZE, SIZE), -1000.0, dtype=np.float32)
        plane[body] = 40.0
        liver_r = max(0.0, 1 - ((t - 0.3) / 0.25) ** 2)
        if liver_r > 0:
            plane[body & (((x - 340) / (90 * liver_r)) ** 2 + ((y - 270) / (80 * liver_r)) ** 2 <= 1)] = 60.0
        lung_r = float(np.clip((t - 0.45) / 0.15, 0, 1))
        if lung_r > 0:
            for cx in (160, 352):
                plane[body & (((x - cx) / (70 * lung_r)) ** 2 + ((y - 270) / 90) ** 2 <= 1)] = -800.0
        plane[spine] = 700.0
        plane += rng.normal(0.0, 10.0, plane.shape).astype(np.float32)
        out[:, :, k] = np.clip(np.round(plane), -1024, 3071).astype(np.int16)
    return out


def write_nifti(data: np.ndarray, path: Path, spacing: Sequence[float]) -> None:
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    img = nib.Nifti1Image(data, np.diag([*spacing, 1.0]))
    img.header.set_xyzt_units("mm")
    nib.save(img, str(path))


def disk(cy: float, cx: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[:SIZE, :SIZE]
    return ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r).astype(np.uint8)


def mask_body(plane: np.ndarray, label: str, frame: int | None = None) -> dict[str, Any]:
    from labelhub.formats._volume_masks import mask_geometry

    return {"kind": "mask", "label": label, "geometry": mask_geometry(plane), "frame": frame}


def png_slice(vol: Any, k: int, window: Any) -> bytes:
    """The baseline: slice ``k`` in ``window`` as an 8-bit PNG, as a server that sent pictures would make it."""
    from PIL import Image

    plane = vol.shown(k).astype(np.float32)
    lo = window.center - window.width / 2.0
    grey = np.clip((plane - lo) / max(window.width, 1e-9) * 255.0, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(grey, mode="L").save(out, format="PNG")
    return out.getvalue()


def timed(fn: Any, *a: Any, **kw: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    r = fn(*a, **kw)
    return time.perf_counter() - t, r


def import_project(setup: Any, name: str, labels: list[str], source: Path) -> tuple[int, float]:
    from labelhub.domain.enums import ItemKind
    from labelhub.domain.schema import LabelSchema
    from labelhub.formats import ImportOptions
    from labelhub.services.imports import import_source
    from labelhub.services.projects import create_project

    with setup.hub.db.session(write=True) as s:
        pid = create_project(s, setup.actor, name, item_kind=ItemKind.VOLUME,
                             schema=LabelSchema.from_names(labels)).id  # fmt: skip
    seconds, _ = timed(import_source, setup.hub, setup.actor, pid, source, fmt="nifti",
                       options=ImportOptions(media="copy"))  # fmt: skip
    return pid, seconds


def export_seconds(home: Path, db_url: str, pid: int, dest: Path) -> float:
    from labelhub.config import Settings
    from labelhub.hub import Hub
    from labelhub.services.access import Actor
    from labelhub.services.exports import export_project

    hub = Hub.open(Settings(home=home, database_url=db_url, dev=True))
    try:
        seconds, _ = timed(export_project, hub, Actor.system(), pid, dest, fmt="nifti")
    finally:
        hub.close()
    return seconds


def get_slice(client: Http, url: str) -> tuple[float, int]:
    t = time.perf_counter()
    status, data = client.call("GET", url)
    if status != 200:
        raise RuntimeError(f"GET {url}: {status} {data[:200]!r}")
    return time.perf_counter() - t, len(data)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from labelhub.domain.volume_fill import fill_between
    from labelhub.media.volume import decode_volume

    out = run_record(args)
    log(f"generating a {SIZE}x{SIZE}x{args.slices} CT")
    ct_path = work / "ct" / "ct_synthetic.nii.gz"
    t, ct = timed(synthetic_ct, args.slices)
    w, _ = timed(write_nifti, ct, ct_path, SPACING)
    del ct
    out["synthetic"] = {"shape": [SIZE, SIZE, args.slices], "generate_s": round(t, 2), "write_s": round(w, 2),
                        "file_mb": round(ct_path.stat().st_size / 1e6, 1)}  # fmt: skip
    home = work / "home"
    db_url = f"sqlite:///{(home / 'labelhub.db').resolve()}"
    setup = setup_hub(home, db_url)
    ct_pid, seconds = import_project(setup, "ct", ["liver", "lung"], ct_path)
    out["synthetic"]["import_s"] = round(seconds, 2)
    log(f"synthetic CT imported in {seconds:.2f} s")
    msd = args.msd if args.msd is not None and (args.msd / "imagesTr").is_dir() else None
    if msd is not None:
        msd_pid, seconds = import_project(setup, "msd", [], msd)
        out["msd"] = {"volumes": len(list((msd / "imagesTr").glob("*.nii*"))), "import_s": round(seconds, 2)}
        log(f"MSD hippocampus: {out['msd']['volumes']} volumes imported in {seconds:.2f} s")
    else:
        log(f"skipping the MSD volumes: {args.msd} not found")
    setup.hub.close()

    server = start_server(home, db_url, work / "server.log")
    try:
        client = Http(server.port, setup.token)
        (item,) = client.json("GET", f"{API}/projects/{ct_pid}/items")["items"]
        base = f"{API}/projects/{ct_pid}/items/{item['id']}"
        rng = random.Random(1)
        first_k = args.slices // 2
        cold, nbytes = get_slice(client, f"{base}/volume/slices/{first_k}")
        t, info = timed(client.json, "GET", f"{base}/volume")
        ks = [rng.randrange(args.slices) for _ in range(args.reads)]
        warm = [get_slice(client, f"{base}/volume/slices/{k}")[0] for k in ks]
        out["synthetic"].update({"first_slice_ms": round(cold * 1000, 1), "info_warm_ms": round(t * 1000, 1),
                                 "slice_bytes": nbytes, "warm_slice_ms": summarize_ms(warm)})  # fmt: skip
        log(f"slices: first {cold * 1000:.0f} ms, warm p95 {out['synthetic']['warm_slice_ms']['p95_ms']} ms")

        # Frame-scoped saves of one mask, on different slices.
        version = client.json("GET", f"{base}/annotations")["version"]
        saves = []
        for i in range(args.saves):
            k = (i * 7) % args.slices
            body = {"version": version, "annotations": [mask_body(disk(256 + i % 20, 300, 60 + i % 30), "liver")]}
            t = time.perf_counter()
            done = client.json("PUT", f"{base}/annotations?frame={k}", body)
            saves.append(time.perf_counter() - t)
            version = done["version"]
        out["synthetic"]["save_ms"] = summarize_ms(saves)
        log(f"frame saves p95 {out['synthetic']['save_ms']['p95_ms']} ms")

        # Fill between slices: a lung drawn on two slices FILL_GAP apart, on separate gaps.
        first, last = disk(270, 160, 40), disk(280, 170, 70)
        fills, engine = [], []
        for i in range(args.fills):
            a = 2 + i * (FILL_GAP + 2)
            if a + FILL_GAP >= args.slices:
                break
            for k, plane in ((a, first), (a + FILL_GAP, last)):
                body = {"version": version, "annotations": [mask_body(plane, "lung")]}
                version = client.json("PUT", f"{base}/annotations?frame={k}", body)["version"]
            req = {"label": "lung", "from_slice": a, "to_slice": a + FILL_GAP, "version": version}
            t = time.perf_counter()
            done = client.json("POST", f"{base}/volume/fill", req)
            fills.append(time.perf_counter() - t)
            version = done["version"]
            if len(done["filled"]) != FILL_GAP - 1:
                raise RuntimeError(f"fill {a}..{a + FILL_GAP} filled {done['filled']}")
            engine.append(timed(fill_between, first, last, FILL_GAP - 1)[0])
        out["synthetic"]["fill_ms"] = summarize_ms(fills)
        out["synthetic"]["fill_engine_ms"] = summarize_ms(engine)
        log(f"fill 20 slices: p50 {out['synthetic']['fill_ms']['p50_ms']} ms over HTTP")

        if msd is not None:
            items = client.json("GET", f"{API}/projects/{msd_pid}/items?limit=100")["items"]
            firsts, warms = [], []
            for it in items:
                url = f"{API}/projects/{msd_pid}/items/{it['id']}/volume/slices/{it['frame_count'] // 2}"
                firsts.append(get_slice(client, url)[0])
                warms.append(get_slice(client, url)[0])
            out["msd"]["first_slice_ms"] = summarize_ms(firsts)
            out["msd"]["warm_slice_ms"] = summarize_ms(warms)
    finally:
        server.stop()

    # The baseline on the same slices, with the server stopped: its PNG rendering, in this process.
    from labelhub.domain.volume import Window

    vol = decode_volume(ct_path.read_bytes(), ct_path.name)
    window = Window(**{k: info["windows"][0][k] for k in ("name", "center", "width")})
    pngs = [timed(png_slice, vol, k, window) for k in ks]
    out["synthetic"]["png_ms"] = summarize_ms([s for s, _ in pngs])
    out["synthetic"]["png_bytes_mean"] = round(float(np.mean([len(b) for _, b in pngs])))
    del vol
    log(f"PNG baseline p95 {out['synthetic']['png_ms']['p95_ms']} ms")
    out["synthetic"]["export_s"] = round(export_seconds(home, db_url, ct_pid, work / "export-ct"), 2)
    if msd is not None:
        out["msd"]["export_s"] = round(export_seconds(home, db_url, msd_pid, work / "export-msd"), 2)
    out["load"]["end"] = machine_load()
    return out


def verdicts(out: dict[str, Any]) -> Table:
    s = out["synthetic"]
    x, y, z = s["shape"]
    t = Table(f"bench_volume: {x}x{y}x{z} int16 CT (.nii.gz, {s['file_mb']} MB), SQLite, one server process")
    t.add("import (nifti, media copied), s", f"{s['import_s']:.2f}")
    t.add("first slice, cold (read + decode the volume), ms", f"{s['first_slice_ms']:.0f}")
    w, p = s["warm_slice_ms"], s["png_ms"]
    t.add("warm slice, raw int16 over HTTP, p50 / p95 ms", f"{w['p50_ms']:.1f} / {w['p95_ms']:.1f}")
    t.add("  bytes per slice, raw int16", f"{s['slice_bytes']:,}")
    t.add("baseline: PNG render in the window (no HTTP), p50 / p95 ms", f"{p['p50_ms']:.1f} / {p['p95_ms']:.1f}")
    t.add("  bytes per slice, PNG (mean)", f"{s['png_bytes_mean']:,}")
    sv = s["save_ms"]
    t.add("frame-scoped save of one mask, p50 / p95 ms", f"{sv['p50_ms']:.1f} / {sv['p95_ms']:.1f}")
    f, e = s["fill_ms"], s["fill_engine_ms"]
    t.add(f"fill between slices, {FILL_GAP - 1} slices, HTTP p50 / max ms", f"{f['p50_ms']:.0f} / {f['max_ms']:.0f}")
    t.add("  interpolation alone, p50 ms", f"{e['p50_ms']:.0f}")
    t.add("export (nifti label map), s", f"{s['export_s']:.2f}")
    if "msd" in out:
        m = out["msd"]
        t.add(f"MSD hippocampus: import of {m['volumes']} volumes, s", f"{m['import_s']:.2f}")
        fm, wm = m["first_slice_ms"], m["warm_slice_ms"]
        t.add("  first slice per volume (cold), p50 / p95 ms", f"{fm['p50_ms']:.1f} / {fm['p95_ms']:.1f}")
        t.add("  warm slice, p50 / p95 ms", f"{wm['p50_ms']:.1f} / {wm['p95_ms']:.1f}")
        t.add("  export of the 40 label maps, s", f"{m['export_s']:.2f}")
    t.add_load(out)
    return t


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--slices", type=int, default=300, help="slices of the synthetic 512x512 CT")
    p.add_argument("--msd", type=Path, default=here.parent.parent / "shared/data/medical_msd_hippocampus_subset40",
                   help="an MSD folder of NIfTI volumes (skipped when absent)")  # fmt: skip
    p.add_argument("--reads", type=int, default=60, help="warm slice reads")
    p.add_argument("--saves", type=int, default=40, help="frame-scoped saves")
    p.add_argument("--fills", type=int, default=5, help="fills, each on its own gap")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--workdir", type=Path, default=None, help="work here instead of a temporary folder")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=False)
        out = run(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-volume-") as tmp:
            out = run(args, Path(tmp))
    return report(out, verdicts(out), args.json, fail_on_miss=False)


if __name__ == "__main__":
    sys.exit(main())
