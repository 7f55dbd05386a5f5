"""``labelhub embed`` and ``labelhub search``, run as a user would, on real BANKING77 texts."""

from __future__ import annotations

from pathlib import Path

from tests.services._search import banking_rows, item_ids, text_project
from typer.testing import CliRunner, Result

from labelhub.cli import app
from labelhub.config import Settings
from labelhub.hub import Hub

Env = dict[str, str | None]


def _run(settings: Settings, db_url: str, *args: str) -> Result:
    env: Env = {"LABELHUB_HOME": str(settings.home), "LABELHUB_DATABASE_URL": db_url, "LABELHUB_DEV": "1",
                "LABELHUB_SECRET_KEY": None, "COLUMNS": "200"}  # fmt: skip
    return CliRunner().invoke(app, list(args), env=env)


def test_embed_then_search(settings: Settings, db_url: str, hub: Hub, tmp_path: Path) -> None:
    rows = banking_rows(per_class=4)
    pid = text_project(hub, tmp_path / "data", rows, name="bank")
    empty = _run(settings, db_url, "search", "bank", "exchange rate")
    assert empty.exit_code == 1 and "labelhub embed bank" in " ".join(empty.output.split()), empty.output

    embedded = _run(settings, db_url, "embed", "bank")
    assert embedded.exit_code == 0, embedded.output
    assert "ngram" in embedded.output and "embedded 20 items, 0 unchanged" in " ".join(embedded.output.split())
    again = _run(settings, db_url, "embed", str(pid))
    assert "embedded 0 items, 20 unchanged" in " ".join(again.output.split()), again.output

    exchange = next(i for i, (_, label) in enumerate(rows) if label == "exchange_rate")
    found = _run(settings, db_url, "search", "bank", rows[exchange][0], "--k", "3", "--lang", "en")
    assert found.exit_code == 0, found.output
    [header] = [line for line in found.output.splitlines() if "┃" in line]
    assert [c.strip() for c in header.split("┃")[1:5]] == ["rank", "score", "item", "id"]
    hits = [[c.strip() for c in line.split("│")[1:5]] for line in found.output.splitlines() if "│" in line]
    assert [h[0] for h in hits] == ["1", "2", "3"]
    assert hits[0][1] == "1.000" and hits[0][3] == str(item_ids(hub, pid)[f"t{exchange:03d}"])
    assert hits[0][2] == rows[exchange][0]  # a text item is shown by its text


def test_search_errors_are_clean(settings: Settings, db_url: str, hub: Hub, tmp_path: Path) -> None:
    text_project(hub, tmp_path / "data", banking_rows(per_class=1), name="bank")
    bad = _run(settings, db_url, "embed", "bank", "--space", "open_clip")
    assert bad.exit_code == 1 and isinstance(bad.exception, SystemExit)
    assert "open_clip embedder is not set up" in " ".join(bad.stderr.split())
    missing = _run(settings, db_url, "search", "nope", "card")
    assert missing.exit_code == 1 and "not found" in missing.stderr
