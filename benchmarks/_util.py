"""Small helpers shared by the benchmark scripts: percentiles, peak memory, machine facts and table output.

Nothing here imports labelhub, so a benchmark can use it before it has set up its environment.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0..100) of ``values`` with linear interpolation; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """Return n, p50, p95, mean and max of durations given in seconds, as milliseconds."""
    ms = [s * 1000.0 for s in samples_s]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "mean_ms": round(statistics.fmean(ms), 3) if ms else float("nan"),
        "max_ms": round(max(ms), 3) if ms else float("nan"),
    }


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Yield a one-element list that holds the elapsed seconds once the block ends."""
    out = [0.0]
    start = time.perf_counter()
    try:
        yield out
    finally:
        out[0] = time.perf_counter() - start


def self_peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def proc_peak_rss_mb(pid: int) -> float | None:
    """Peak resident set size (VmHWM) of a live process, in MiB; None when it cannot be read.

    psutil does not expose the high-water mark on Linux, so this reads /proc directly.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        return None
    return None


def proc_rss_mb(pid: int) -> float | None:
    """Current resident set size of a live process, in MiB (psutil when installed, else /proc)."""
    try:
        import psutil  # type: ignore[import-untyped,unused-ignore]

        return float(psutil.Process(pid).memory_info().rss) / (1024.0 * 1024.0)
    except ImportError:
        pass
    except Exception:  # noqa: BLE001 - psutil raises its own NoSuchProcess/AccessDenied
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        return None
    return None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine_info() -> dict[str, Any]:
    """CPU count and model, memory, OS and Python: what a reader needs to compare figures across machines."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model,
        "mem_total_gb": mem_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "date": date.today().isoformat(),
    }


@dataclass(slots=True)
class Row:
    """One line of the results table; ``ok`` is None for figures given for information only."""

    what: str
    value: str
    target: str = ""
    ok: bool | None = None


@dataclass(slots=True)
class Table:
    title: str
    rows: list[Row] = field(default_factory=list)

    def add(self, what: str, value: str, target: str = "", ok: bool | None = None) -> None:
        self.rows.append(Row(what, value, target, ok))

    def add_load(self, out: dict[str, Any]) -> None:
        """Add the machine's 1-minute load average at the run's start and end (``out["load"]``)."""
        start, end = out["load"]["start"], out["load"].get("end", {})
        self.add("machine load avg (1 min), start / end", f"{start.get('load1', 0):.1f} / {end.get('load1', 0):.1f}")

    def render(self) -> str:
        verdicts = ["" if r.ok is None else ("PASS" if r.ok else "MISS") for r in self.rows]
        w0 = max([len("what"), *(len(r.what) for r in self.rows)])
        w1 = max([len("value"), *(len(r.value) for r in self.rows)])
        w2 = max([len("target"), *(len(r.target) for r in self.rows)])
        lines = [self.title, f"{'what':<{w0}}  {'value':>{w1}}  {'target':<{w2}}  result",
                 f"{'-' * w0}  {'-' * w1}  {'-' * w2}  ------"]  # fmt: skip
        lines += [f"{r.what:<{w0}}  {r.value:>{w1}}  {r.target:<{w2}}  {v}" for r, v in zip(self.rows, verdicts,
                                                                                          strict=True)]  # fmt: skip
        return "\n".join(lines)


def log(msg: str) -> None:
    """Print a timestamped progress line to stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _json_default(value: object) -> str:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def report(out: dict[str, Any], table: Table, json_path: Path | None, *, fail_on_miss: bool) -> int:
    """Print the table, write ``out`` (with the table) to ``json_path`` if given; return the exit status."""
    import orjson  # the benchmarks' own dependency, loaded only where results are written

    out["table"] = [{"what": r.what, "value": r.value, "target": r.target, "ok": r.ok} for r in table.rows]
    print(table.render())
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        # Paths (a --workdir, say) are written as their text.
        opts = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY
        json_path.write_bytes(orjson.dumps(out, default=_json_default, option=opts))
        log(f"wrote {json_path}")
    missed = [r.what.strip() for r in table.rows if r.ok is False]
    if missed:
        log(f"missed: {', '.join(missed)}")
    return 1 if missed and fail_on_miss else 0


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds a live process has used so far (from /proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process and its live descendants (a server with several worker processes)."""
    total = proc_cpu_s(pid) or 0.0
    for child in _children(pid):
        total += tree_cpu_s(child)
    return total


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out.extend(int(c) for c in (task / "children").read_text().split())
    except (OSError, ValueError):
        pass
    return out


def machine_busy_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over CPUs (from /proc/stat)."""
    try:
        parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)  # idle + iowait
    return (sum(parts) - idle) / tick, sum(parts) / tick


@dataclass(slots=True)
class CpuMeter:
    """CPU used during a block: by one process (the server), by this process and its children (the
    clients), and by the whole machine (everything else shows up as the difference)."""

    pid: int
    start: dict[str, float] = field(default_factory=dict)
    result: dict[str, float] = field(default_factory=dict)

    def _read(self) -> dict[str, float]:
        me = os.times()
        busy, total = machine_busy_s()
        return {"server": tree_cpu_s(self.pid), "self": me.user + me.system,
                "children": me.children_user + me.children_system, "busy": busy, "total": total,
                "wall": time.perf_counter()}  # fmt: skip

    def __enter__(self) -> CpuMeter:
        self.start = self._read()
        return self

    def __exit__(self, *_exc: object) -> None:
        end = self._read()
        d = {k: end[k] - self.start[k] for k in end}
        wall = d["wall"] or 1e-9
        cpus = os.cpu_count() or 1
        self.result = {
            "server_cpu_s": round(d["server"], 2),
            "server_cores": round(d["server"] / wall, 2),
            "clients_cpu_s": round(d["self"] + d["children"], 2),
            "clients_cores": round((d["self"] + d["children"]) / wall, 2),
            "machine_busy_cores": round(d["busy"] / d["total"] * cpus, 2) if d["total"] else float("nan"),
        }


def machine_load() -> dict[str, float]:
    """Load averages and CPU pressure (share of time some task waited for a CPU, last 10 s and 60 s).

    Other work on the machine slows every figure; these numbers say how busy it was around a run.
    """
    out: dict[str, float] = {}
    with suppress(OSError):
        out["load1"], out["load5"], _ = (round(x, 2) for x in os.getloadavg())
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0].split()
        values = dict(kv.split("=") for kv in some[1:])
        out["cpu_pressure_avg10"] = float(values["avg10"])
        out["cpu_pressure_avg60"] = float(values["avg60"])
    except (OSError, KeyError, ValueError, IndexError):
        pass
    return out


def text_data_args(p: argparse.ArgumentParser, *, train_help: str) -> None:
    """Add the options of the benchmarks that read a text classification data set (two CSV files)."""
    p.add_argument("--train", type=Path, required=True, help=train_help)
    p.add_argument("--test", type=Path, required=True, help="CSV of the test texts and labels")
    p.add_argument("--text-col", default="text", help="column holding the text")
    p.add_argument("--label-col", default="label", help="column holding the class name")


def code_version() -> dict[str, Any]:
    """The labelhub that was measured: its path, and the git commit and changed files when in a checkout."""
    import labelhub

    src = Path(labelhub.__file__).resolve().parent
    info: dict[str, Any] = {"labelhub": str(src)}
    try:
        git = ["git", "-C", str(src)]
        info["commit"] = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                                        check=True, timeout=10).stdout.strip()  # fmt: skip
        changed = subprocess.run([*git, "status", "--porcelain", "--", "."], capture_output=True, text=True,
                                 check=True, timeout=10).stdout.splitlines()  # fmt: skip
        info["uncommitted"] = [line[3:] for line in changed]
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def random_coco_boxes(rng: Any, dims: list[tuple[int, int]], n_boxes: int, n_categories: int) -> list[dict[str, Any]]:
    """COCO annotations of ``n_boxes`` random boxes, each on a random one of the images of sizes ``dims``
    (``rng`` a ``random.Random``: the same seed gives the same boxes)."""
    annotations: list[dict[str, Any]] = []
    n_items = len(dims)
    for a in range(n_boxes):
        img = rng.randrange(n_items)
        w, h = dims[img]
        bw, bh = rng.uniform(4.0, w / 2), rng.uniform(4.0, h / 2)
        x, y = rng.uniform(0.0, w - bw), rng.uniform(0.0, h - bh)
        bbox = [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)]
        annotations.append({"id": a + 1, "image_id": img + 1, "category_id": rng.randrange(n_categories) + 1,
                            "bbox": bbox, "area": round(bbox[2] * bbox[3], 2), "iscrowd": 0})  # fmt: skip
    return annotations


def run_record(args: argparse.Namespace) -> dict[str, Any]:
    """The start of a run's JSON: the machine, the options (``--json`` left out), the load now, the code."""
    return {
        "machine": machine_info(),
        "config": {k: v for k, v in vars(args).items() if k != "json"},
        "load": {"start": machine_load()},
        "code": code_version(),
    }


PG_SERVER_DEFAULT = "postgresql://postgres@127.0.0.1:5432"


def pg_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--pg-server`` (the PostgreSQL server, without a database name) and ``--keep`` (keep the work folder
    and the PostgreSQL database)."""
    p.add_argument("--pg-server", default=os.environ.get("LABELHUB_BENCH_PG", PG_SERVER_DEFAULT),
                   help=f"PostgreSQL server URL without a database name (default: $LABELHUB_BENCH_PG, or "
                        f"{PG_SERVER_DEFAULT})")  # fmt: skip
    p.add_argument("--keep", action="store_true", help="keep the work folder and the PostgreSQL database")


def in_work_folder(run: Callable[[argparse.Namespace, Path], dict[str, Any]], args: argparse.Namespace,
                   prefix: str) -> dict[str, Any]:  # fmt: skip
    """Return ``run(args, folder)`` in a new temporary folder, removed afterwards unless ``args.keep``."""
    if args.keep:
        return run(args, Path(tempfile.mkdtemp(prefix=prefix)))
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        return run(args, Path(tmp))


def store_arguments(p: argparse.ArgumentParser, tries_help: str = "timed calls per case") -> None:
    """Add the options of a benchmark on bench_store's generated COCO project: the database, the data's size
    and seed, the timed tries, the JSON output, the PostgreSQL server and whether to keep its database."""
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite", help="the backend to measure")
    p.add_argument("--items", type=int, default=100_000, help="images in the generated COCO file")
    p.add_argument("--boxes-per-item", type=int, default=3, help="boxes per image, on average")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    p.add_argument("--tries", type=int, default=20, help=tries_help)
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--pg-server", default=os.environ.get("LABELHUB_BENCH_PG", PG_SERVER_DEFAULT),
                   help=f"PostgreSQL server URL without a database name (default: $LABELHUB_BENCH_PG, or "
                        f"{PG_SERVER_DEFAULT})")  # fmt: skip
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
