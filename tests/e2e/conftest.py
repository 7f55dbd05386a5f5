"""Browser tests: a real ``labelhub serve`` (SQLite in a temporary home, with its job worker) driven by headless
Debian Chromium through Playwright.

The server and the browser start once per test process (per xdist worker). Every test gets a fresh browser
context (no cookies), and creates its own users and projects, so tests do not depend on each other's order.
Screenshots of each step go to ``test-artifacts/e2e/<test>/``. Without Chromium (``LABELHUB_CHROMIUM``, default
``/usr/bin/chromium``), Playwright or a built UI (``make web``) the browser tests are skipped and say why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from tests.conftest import DATA, REPO

# The editor helpers live in _editor.py; the tests import them from here, as they import the rest.
from tests.e2e._editor import (  # noqa: F401
    click_in_image,
    close_to,
    drag_in_image,
    editor_saved,
    image_to_screen,
    pointer_readout,
    wait_for_editor,
)

from labelhub.api.app import WEB_DIST

CHROMIUM = Path(os.environ.get("LABELHUB_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts" / "e2e"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "e2e-admin-password"  # a throwaway login for a throwaway server
API = "/api/v1"
VIEWPORT = {"width": 1440, "height": 900}
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """A running ``labelhub serve`` and an API client logged in as its administrator."""

    url: str
    home: Path
    api: httpx.Client
    log: Path
    files: Path  # the tests' import sources: an import root apart from the home, which is never read by path

    def wait_for_job(self, job_id: int, timeout: float = 60.0) -> dict[str, Any]:
        """Poll a job until it finishes and return it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job: dict[str, Any] = self.api.get(f"{API}/jobs/{job_id}").raise_for_status().json()
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s")

    def create_user(self, name: str, password: str) -> int:
        r = self.api.post(f"{API}/users", json={"username": name, "password": password})
        assert r.status_code == 201, r.text
        user_id: int = r.json()["id"]
        return user_id

    def create_project(self, name: str, labels: list[str], item_kind: str = "image") -> dict[str, Any]:
        body = {"name": name, "item_kind": item_kind, "labels": [{"name": n} for n in labels]}
        r = self.api.post(f"{API}/projects", json=body)
        assert r.status_code == 201, r.text
        project: dict[str, Any] = r.json()
        return project


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "labelhub", *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, f"labelhub {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Start ``labelhub serve`` on a free port with an administrator made through the CLI."""
    home = tmp_path_factory.mktemp("e2e-home")
    files = tmp_path_factory.mktemp("e2e-files")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELHUB_")}
    env |= {
        "LABELHUB_HOME": str(home),
        "LABELHUB_DEV": "1",
        "LABELHUB_IMPORT_ROOTS": json.dumps([str(DATA), str(files)]),
        "LABELHUB_AUTH_CACHE_SECONDS": "0",
        "LABELHUB_WEBHOOK_HOSTS": "loopback",  # webhook tests deliver to a receiver on 127.0.0.1
    }
    _cli(env, "user", "add", ADMIN_USER, "--role", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    port = _free_port()
    log = home / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "labelhub", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    # The test's own API client logs in like the browser does (a session cookie plus the CSRF header).
    client = httpx.Client(base_url=url, headers={"X-Requested-With": "labelhub-e2e"}, timeout=30)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"labelhub serve exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if client.get(f"{API}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"labelhub serve did not answer in 60 s:\n{log.read_text()}")
            time.sleep(0.1)
        client.post(f"{API}/auth/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}).raise_for_status()
        yield Server(url=url, home=home, api=client, log=log, files=files)
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _browser_skip_reason() -> str | None:
    if not CHROMIUM.is_file():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set LABELHUB_CHROMIUM)"
    if not (WEB_DIST / "index.html").is_file():
        return f"the web UI is not built ({WEB_DIST} has no index.html): run `make web`"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -e '.[dev]'"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium (Playwright's own browser download is not used)."""
    reason = _browser_skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--disable-gpu"])
        yield b
        b.close()


@dataclass
class Shots:
    """Saves numbered screenshots of the steps of one test."""

    folder: Path
    count: int = 0
    errors: list[str] = field(default_factory=list)

    def __call__(self, page: Any, step: str, *, full_page: bool = False) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder = ARTIFACTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Shots(folder)


@pytest.fixture
def page(browser: Any, server: Server, shots: Shots, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser tab (its own cookies) on the server; uncaught errors and console errors fail the test."""
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(15_000)
    p = context.new_page()
    p.on("pageerror", lambda exc: shots.errors.append(f"page error: {exc}"))
    p.on("console", lambda msg: _console_error(msg, shots.errors))
    yield p
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        p.screenshot(path=str(shots.folder / "failure.png"))
    context.close()
    assert not shots.errors, "the page threw errors:\n" + "\n".join(shots.errors)


def _console_error(msg: Any, errors: list[str]) -> None:
    # Failed requests are logged too ("Failed to load resource: ... 401"); tests that expect a refusal cause them,
    # and the UI reports them itself. Anything else (a CSP violation, a Svelte warning) is a bug.
    if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
        errors.append(f"console error: {msg.text}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    # Lets the page fixture see whether the test body failed, to keep a screenshot of the moment.
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report


def login(page: Any, username: str, password: str) -> None:
    """Log in through the login form and wait for the projects page."""
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects", exact=True).wait_for()


def wait_for_thumbnails(page: Any) -> None:
    """Wait until every thumbnail in view has loaded (those below the fold load lazily, later)."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="thumb"] img')]
              .filter(i => i.getBoundingClientRect().top < innerHeight)
              .every(i => i.complete && i.naturalWidth > 0)"""
    )


def focused(page: Any) -> str:
    """The focused element, as "TAG name" (its accessible label, title or text): what a keyboard user is on."""
    text: str = page.evaluate(
        """() => { const e = document.activeElement; if (!e) return 'none';
                   const n = e.getAttribute('aria-label') || e.getAttribute('title') || e.textContent || '';
                   return e.tagName + ' ' + n.trim().slice(0, 60); }"""
    )
    return text


def logout(page: Any) -> None:
    """Log out through the sidebar (from any page: the full-screen item page has no sidebar)."""
    page.goto("/#/projects")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in to labelhub").wait_for()


def add_member(server: Server, project_id: int, username: str, role: str) -> tuple[int, str]:
    """Create a user and make them a member of the project with ``role``; return their id and password."""
    password = f"{username}-password"
    user_id = server.create_user(username, password)
    r = server.api.put(f"{API}/projects/{project_id}/members/{user_id}", json={"role": role})
    assert r.status_code == 200, r.text
    return user_id, password


def import_images(
    server: Server, project_id: int, folder: str, count: int, size: tuple[int, int] = (800, 600)
) -> list[int]:
    """Write ``count`` distinct PNGs (a street-like scene each) into the tests' import folder and import them as an
    image folder; return the new items' ids in order."""
    from PIL import Image, ImageDraw

    src = server.files / folder
    src.mkdir()
    w, h = size
    for i in range(count):
        img = Image.new("RGB", size, (92 + 20 * i, 134, 184))
        d = ImageDraw.Draw(img)
        d.rectangle([0, int(h * 0.62), w, h], fill=(70, 72, 78))
        for k in range(7):
            x = 40 + k * (w // 7) + 9 * i
            d.rectangle(
                [x, int(h * 0.2) + 17 * ((k + i) % 4), x + w // 10, int(h * 0.62)], fill=(120 + 9 * k, 110, 100)
            )
        d.rectangle([w // 3, int(h * 0.55), w // 3 + w // 5, int(h * 0.72)], fill=(200, 40 + 50 * i, 50))
        img.save(src / f"scene-{i + 1:02d}.png")
    r = server.api.post(f"{API}/projects/{project_id}/imports", json={"source": str(src), "format": "image_folder"})
    assert r.status_code == 202, r.text
    job = server.wait_for_job(r.json()["id"])
    assert job["status"] == "succeeded", job
    items = server.api.get(f"{API}/projects/{project_id}/items", params={"limit": 500}).raise_for_status().json()
    ids: list[int] = [it["id"] for it in items["items"]]
    assert len(ids) == count, items
    return ids


def eventually(check: Callable[[], T], timeout: float = 10.0) -> T:
    """Call ``check`` until it returns without an AssertionError (every 0.1 s, at most ``timeout`` s) and return
    its result; for server state that follows a UI action with a delay (autosave)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def expect_item_ids(locator: Any, want: list[int] | set[int], timeout: float = 10.0) -> None:
    """Wait until the elements of ``locator`` carry exactly these ``data-item-id`` values (a list: in this order; a
    set: in any order). A count shown on the page may be in before the list it counts is drawn, and a list left by
    the previous filter may have as many rows: only the ids themselves say the page shows the new list."""

    def check() -> None:
        got = [int(v) for v in locator.evaluate_all("els => els.map(e => e.dataset.itemId)")]
        if isinstance(want, set):
            assert len(got) == len(want) and set(got) == want, (got, want)
        else:
            assert got == want, (got, want)

    eventually(check, timeout)


def annotations_left_to_right(server: Server, pid: int, iid: int) -> list[dict[str, Any]]:
    """The item's annotations as the API gives them, sorted by their box's left edge."""
    body = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
    return sorted(body["annotations"], key=lambda a: a["geometry"]["bbox"][0])


def open_item_as(
    page: Any,
    server: Server,
    project_id: int,
    item_id: int,
    username: str,
    size: tuple[int, int],
    role: str = "annotator",
) -> None:
    """Make ``username`` a member with ``role``, log in as them and open the image item in the editor."""
    _, password = add_member(server, project_id, username, role)
    login(page, username, password)
    page.goto(f"/#/projects/{project_id}/items/{item_id}")
    wait_for_editor(page, size)
