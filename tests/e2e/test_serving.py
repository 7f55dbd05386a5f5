"""The server serves the built UI: index.html at / (never cached), hashed assets for a year, and a page that says
how to build the UI when a checkout has none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from labelhub.api.app import create_app
from labelhub.config import Settings
from labelhub.hub import Hub


@pytest.fixture
def sqlite_hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub on SQLite only: serving files does not touch the database."""
    h = Hub.open(Settings(home=tmp_path / "home", dev=True))
    yield h
    h.close()


def test_index_and_hashed_assets_are_served_with_their_cache_rules(sqlite_hub: Hub, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<!doctype html><script type="module" src="/assets/index-abc123.js"></script>')
    (dist / "assets" / "index-abc123.js").write_text("console.log('labelhub')")
    with TestClient(create_app(sqlite_hub, run_worker=False, web_dist=dist)) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "index-abc123.js" in page.text
        assert page.headers["cache-control"] == "no-cache"
        assert "default-src 'self'" in page.headers["content-security-policy"]
        asset = client.get("/assets/index-abc123.js")
        assert asset.status_code == 200 and asset.text == "console.log('labelhub')"
        assert "immutable" in asset.headers["cache-control"]
        missing = client.get("/assets/nope.js")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert client.get("/assets/../index.html").status_code == 404


def test_a_checkout_without_a_build_says_how_to_build_the_ui(sqlite_hub: Hub, tmp_path: Path) -> None:
    with TestClient(create_app(sqlite_hub, run_worker=False, web_dist=tmp_path / "nothing")) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "make web" in page.text
        assert client.get("/api/v1/health").status_code == 200
        # The API keeps its own routes: an unknown API path is a problem+json 404, not the UI.
        assert client.get("/api/v1/nope").headers["content-type"].startswith("application/problem+json")
