"""bench_load's simulated users (locust), run in a child process of their own: ``python _load_users.py CONFIG``.

locust monkey-patches the standard library with gevent when it is imported, so it is imported first here and
nowhere in the benchmark process (which loads labelhub, SQLAlchemy and ssl before). This module drives locust
through its library API (``Environment`` + ``create_local_runner``) rather than ``locust --headless --csv``: the
steps (10, 50, 100 users...) are ``runner.start(n)`` calls in one process, so every request is recorded with the
step it fell in (only after the ramp to that step finished), the server's CPU and the machine's load are read at
the exact edges of each step, raw latencies give exact percentiles (locust's CSV has rounded, cumulative ones), and
the live-stream listeners and annotators share one process, so save -> event latency is a subtraction of two
clocks of the same process. The figures go to the JSON file named in the config.

Users (``weight``: their share of each step's count; think times ``think`` x 0.5-1.5 s between tasks):

- ``Annotator`` (5; every other account has items assigned, the others label the unassigned pool):
  ``GET .../queue/next?after=<on screen>``, ``GET .../items/{id}``, ``GET .../annotations``, then two
  ``PUT .../annotations`` with the version (an autosave ``in_progress``, then ``labeled``), a short pause before
  each. A 409 is counted (by assigned and pool accounts), the annotations are read again (the editor reloads) and
  the user moves on.
- ``Reviewer`` (2): a review-queue page (``GET .../items?status=labeled&limit=50``, the first page or a keyset
  page ``after`` a random labelled item), one of its items (``GET`` item and annotations), then
  ``POST .../items/{id}/review`` with the version it read (approve 90 %, reject with a comment 10 %).
- ``Browser`` (3): the grid: a page of 100 (the first, a filtered one: label, status, name text or unassigned, a
  deep keyset page, or three pages scrolled with ``next_after``), ``GET .../items/shapes?ids=`` for the page, and
  the WebP thumbnails of the 24 items on screen.
- ``Manager`` (exactly one at every step): project stats, workload, and a page with ``with_total``.

Listeners (``listeners`` of them, not counted in the steps' users): each holds ``GET .../events`` (SSE) open for
the whole run on a viewer's token, reconnecting with ``Last-Event-ID`` when the server ends the stream.

Every request sends ``Authorization: Bearer <token>`` (the browser UI sends its session cookie and
``X-Requested-With`` instead; the server checks either with one indexed lookup).
"""

from __future__ import annotations

import locust  # first: gevent's monkey-patching must come before anything opens a socket

# isort: split
import http.client
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import gevent
import orjson
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

from _util import CpuMeter, log, machine_load, percentile

API = "/api/v1"
LABELS = [f"class_{c}" for c in range(8)]


@dataclass(slots=True)
class Shared:
    """The run's configuration and everything recorded, per step (``step``: its user count; None while ramping)."""

    cfg: dict[str, Any] = field(default_factory=dict)
    step: int | None = None
    next_token: Counter[str] = field(default_factory=Counter)
    samples: dict[int, dict[str, list[float]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    statuses: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    saves: dict[tuple[int, int], float] = field(default_factory=dict)  # (item, version) -> the PUT's answer
    arrivals: list[tuple[int, tuple[int, int], float]] = field(default_factory=list)  # (step, save, time)
    events: Counter[int] = field(default_factory=Counter)  # step -> messages received by all listeners
    sse: Counter[str] = field(default_factory=Counter)  # opens, ends, errors
    conflicts: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # step -> whose
    live: Counter[str] = field(default_factory=Counter)  # token -> simulated users holding it now

    @property
    def project(self) -> str:
        return f"{API}/projects/{self.cfg['project_id']}"

    def token(self, role: str) -> str:
        tokens = self.cfg["tokens"][role]
        k = self.next_token[role]
        self.next_token[role] += 1
        return str(tokens[k % len(tokens)])

    def think(self, lo: float, hi: float) -> float:
        return float(self.cfg["think"]) * random.uniform(lo, hi)

    def on_request(self, request_type: str, name: str, response_time: float, response_length: int,
                   response: Any = None, exception: Any = None, **_kw: Any) -> None:  # fmt: skip
        if self.step is None:
            return
        status = int(getattr(response, "status_code", 0) or 0)
        self.samples[self.step][name].append(float(response_time))
        self.statuses[self.step][f"{name} {status or type(exception).__name__}"] += 1

    def on_event(self, body: dict[str, Any], at: float) -> None:
        if self.step is None:
            return
        self.events[self.step] += 1
        detail = body.get("detail") or {}
        if str(body.get("action", "")).startswith("annotations.") and "version" in detail:
            self.arrivals.append((self.step, (int(body["object_id"]), int(detail["version"])), at))


SHARED = Shared()


class LoadUser(FastHttpUser):
    """A team member with a token of their role; ``get`` answers the JSON body, or None on an error status."""

    abstract = True
    role: ClassVar[str] = "viewer"
    network_timeout = 60.0
    connection_timeout = 60.0

    def wait_time(self) -> float:
        return SHARED.think(0.5, 1.5)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {SHARED.token(self.role)}"}
        self.p = SHARED.project
        SHARED.live[self.headers["Authorization"]] += 1

    def on_stop(self) -> None:
        SHARED.live[self.headers["Authorization"]] -= 1

    def get(self, path: str, name: str) -> Any:
        r = self.client.get(self.p + path, name=name, headers=self.headers)
        return r.json() if r.status_code == 200 else None

    def thumbnails(self, items: list[dict[str, Any]]) -> None:
        for it in items[:24]:
            self.client.get(f"{self.p}/items/{it['id']}/thumbnail?size=256", name="thumbnail", headers=self.headers)


class Annotator(LoadUser):
    weight = 5
    role = "annotator"
    on_screen: int | None = None
    assigned = False  # whether the account has items assigned (else it labels the open pool)

    def on_start(self) -> None:
        super().on_start()
        self.assigned = self.headers["Authorization"][7:] in SHARED.cfg["tokens"]["assigned"]

    @locust.task
    def label_next(self) -> None:
        nxt = self.get(f"/queue/next?after={self.on_screen}" if self.on_screen else "/queue/next", "queue_next")
        iid = (nxt or {}).get("item_id")
        if iid is None:
            return
        self.on_screen = iid
        url = f"{self.p}/items/{iid}/annotations"
        if self.get(f"/items/{iid}", "item") is None or (ann := self.get(f"/items/{iid}/annotations",
                                                                          "annotations_get")) is None:  # fmt: skip
            return
        version = int(ann["version"])
        boxes = [{"kind": "box", "label": random.choice(LABELS),
                  "geometry": {"bbox": [10.0 + 30 * k, 10.0, 35.0 + 30 * k, 50.0]}}
                 for k in range(random.randint(1, 4))]  # fmt: skip
        for status in ("in_progress", "labeled"):
            gevent.sleep(SHARED.think(0.2, 0.6))  # drawing
            r = self.client.put(url, name="annotations_put", headers=self.headers,
                                json={"version": version, "annotations": boxes, "status": status})  # fmt: skip
            if r.status_code != 200:  # 409: someone saved it first; the editor reloads, the user moves on
                if r.status_code == 409:
                    if SHARED.step is not None:
                        SHARED.conflicts[SHARED.step]["assigned" if self.assigned else "pool"] += 1
                        if SHARED.live[self.headers["Authorization"]] > 1:  # one account in two simulated users
                            SHARED.conflicts[SHARED.step]["shared account"] += 1
                    self.get(f"/items/{iid}/annotations", "annotations_get")
                return
            version = int(r.json()["version"])
            SHARED.saves[(iid, version)] = time.perf_counter()


class Reviewer(LoadUser):
    """Works through the review queue as the web app does: the queue page (its list and the items other reviewers
    hold) when nothing is on screen, then "next" from the server, which claims a labelled item no other reviewer
    holds (``GET .../review/next``), a look at it, and a decision; the next "next" starts from that item."""

    weight = 2
    role = "reviewer"
    on_screen: int | None = None

    @locust.task
    def review_next(self) -> None:
        if self.on_screen is None:  # the queue page, then "Start reviewing"
            if self.get("/items?status=labeled&limit=100&with_total=true", "review_page") is None:
                return
            self.get("/review/held", "review_held")
        nxt = self.get(f"/review/next?after={self.on_screen}" if self.on_screen else "/review/next", "review_next")
        iid = (nxt or {}).get("item_id")
        if iid is None:  # nothing free to review: back to the queue page next time
            self.on_screen = None
            return
        self.on_screen = iid
        item = self.get(f"/items/{iid}", "item")
        if item is None or self.get(f"/items/{iid}/annotations", "annotations_get") is None:
            return
        gevent.sleep(SHARED.think(0.3, 1.0))  # looking at it
        approve = random.random() < 0.9
        body = {"approve": approve, "comment": "" if approve else "a box cuts the object", "version": item["version"]}
        self.client.post(f"{self.p}/items/{iid}/review", name="review_post", headers=self.headers, json=body)


class Browser(LoadUser):
    weight = 3
    role = "viewer"

    def grid(self, query: str, name: str) -> list[dict[str, Any]]:
        page = self.get(f"/items?limit=100{query}", name)
        items: list[dict[str, Any]] = (page or {}).get("items", [])
        if items:
            ids = ",".join(str(it["id"]) for it in items)
            self.client.get(f"{self.p}/items/shapes?ids={ids}", name="grid_shapes", headers=self.headers)
            self.thumbnails(items)
        return items

    @locust.task(3)
    def first_page(self) -> None:
        self.grid("", "grid_first")

    @locust.task(2)
    def filtered(self) -> None:
        query = random.choice([f"&label={random.choice(LABELS)}", "&status=labeled", "&assignee=none",
                               f"&q=img/00{random.randint(0, 199):03d}"])  # fmt: skip
        self.grid(query, "grid_filter")

    @locust.task(3)
    def deep_page(self) -> None:
        self.grid(f"&after={random.randint(SHARED.cfg['first_id'], SHARED.cfg['last_id'])}", "grid_deep")

    @locust.task(1)
    def scroll(self) -> None:
        items = self.grid("", "grid_first")
        for _ in range(2):
            if not items:
                return
            gevent.sleep(SHARED.think(0.2, 0.5))
            items = self.grid(f"&after={items[-1]['id']}", "grid_scroll")


class Manager(LoadUser):
    fixed_count = 1
    role = "manager"

    @locust.task
    def overview(self) -> None:
        self.get("/stats", "stats")
        self.get("/workload", "workload")
        self.get("/items?limit=100&status=labeled&with_total=true", "grid_total")


def listen(k: int) -> None:
    """Hold the project's event stream open, counting its messages, until killed (a greenlet)."""
    cfg = SHARED.cfg
    url = urlsplit(cfg["base"])
    headers = {"Authorization": f"Bearer {cfg['tokens']['viewer'][k % len(cfg['tokens']['viewer'])]}",
               "Accept": "text/event-stream"}  # fmt: skip
    while True:
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
        try:
            conn.request("GET", f"{SHARED.project}/events", headers=headers)
            resp = conn.getresponse()
            SHARED.sse[f"open {resp.status}"] += 1
            if resp.status != 200:
                gevent.sleep(3)
                continue
            data: list[bytes] = []
            while line := resp.readline():
                line = line.rstrip(b"\r\n")
                if line.startswith(b"id:"):
                    headers["Last-Event-ID"] = line[3:].strip().decode()
                elif line.startswith(b"data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    SHARED.on_event(orjson.loads(b"\n".join(data)), time.perf_counter())
                    data = []
            SHARED.sse["ended by the server"] += 1
        except (OSError, http.client.HTTPException) as exc:
            SHARED.sse[f"error {type(exc).__name__}"] += 1
            gevent.sleep(1)
        finally:
            conn.close()


def ms(values: list[float]) -> dict[str, float]:
    return {f"p{q}_ms": round(percentile(values, q), 1) for q in (50, 95, 99)}


def summary(n: int, wall: float, cpu: dict[str, float], load: dict[str, float]) -> dict[str, Any]:
    """One step's figures: per request kind and in total, the live streams, CPU and load."""
    samples, statuses = SHARED.samples[n], SHARED.statuses[n]
    kinds: dict[str, Any] = {}
    for name, values in sorted(samples.items()):
        codes = {k.split(" ", 1)[1]: c for k, c in statuses.items() if k.split(" ", 1)[0] == name}
        kinds[name] = {"n": len(values), "rps": round(len(values) / wall, 2), **ms(values), "statuses": codes}
    every = [v for values in samples.values() for v in values]
    codes = Counter[str]()
    for key, c in statuses.items():
        codes[key.split(" ", 1)[1]] += c
    failures = sum(c for code, c in codes.items() if not (code.isdigit() and (int(code) < 400 or code == "409")))
    lat = [at - SHARED.saves[key] for step, key, at in SHARED.arrivals if step == n and key in SHARED.saves]
    return {
        "users": n,
        "seconds": round(wall, 1),
        "requests": len(every),
        "rps": round(len(every) / wall, 1),
        **ms(every),
        "failures": failures,
        "conflicts": codes.get("409", 0),
        "save_conflicts_by_annotator": dict(SHARED.conflicts[n]),
        "statuses": dict(codes),
        "kinds": kinds,
        "saves": statuses.get("annotations_put 200", 0),
        "sse": {"events": SHARED.events[n], "matched_saves": len(lat), **ms([x * 1000 for x in lat])},
        "cpu": cpu,
        "load_at_start": load,
    }


def main(config: Path) -> int:
    cfg = orjson.loads(config.read_bytes())
    SHARED.cfg = cfg
    env = Environment(user_classes=[Annotator, Reviewer, Browser, Manager], host=cfg["base"])
    env.events.request.add_listener(SHARED.on_request)
    runner = env.create_local_runner()
    listeners = [gevent.spawn(listen, k) for k in range(cfg["listeners"])]
    steps: list[dict[str, Any]] = []
    for n in cfg["users"]:
        runner.start(n, spawn_rate=cfg["spawn_rate"])
        deadline = time.monotonic() + n / cfg["spawn_rate"] + 30
        while runner.user_count < n and time.monotonic() < deadline:
            gevent.sleep(0.2)
        gevent.sleep(cfg["settle_seconds"])
        load = machine_load()
        with CpuMeter(cfg["server_pid"]) as meter:
            SHARED.step, t0 = n, time.perf_counter()
            gevent.sleep(cfg["step_seconds"])
            SHARED.step, wall = None, time.perf_counter() - t0
        steps.append(summary(n, wall, meter.result, load))
        s = steps[-1]
        log(f"{n} users ({runner.user_count} running): {s['rps']} req/s, p50/p95/p99 {s['p50_ms']}/{s['p95_ms']}/"
            f"{s['p99_ms']} ms, {s['failures']} failures, {s['conflicts']} conflicts, server "
            f"{meter.result['server_cores']} cores, load {load.get('load1')}")  # fmt: skip
    runner.quit()
    gevent.killall(listeners, timeout=5)
    out = {"steps": steps, "sse": dict(SHARED.sse), "saves_total": len(SHARED.saves)}
    Path(cfg["out"]).write_bytes(orjson.dumps(out, option=orjson.OPT_INDENT_2))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
