"""Split options on import and export, through the services a CLI command or a job calls."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
from sqlalchemy import select
from tests.builders import new_project

from labelhub.domain.enums import ItemKind
from labelhub.domain.splits import parse_split
from labelhub.formats import ExportOptions, ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.storage.models import Item

SYSTEM = Actor.system()


def _jsonl(path: Path, n: int, *, subset: bool = False) -> Path:
    rows = [
        {
            "id": f"t{i}",
            "text": f"text number {i}",
            "label": "a" if i % 2 else "b",
            **({"subset": "dev"} if subset else {}),
        }
        for i in range(n)
    ]
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    return path


def _splits(hub: Hub, pid: int) -> dict[str, str | None]:
    with hub.db.session() as s:
        return {n: sp for n, sp in s.execute(select(Item.name, Item.split).where(Item.project_id == pid))}


def test_import_with_a_ratio_split_is_stable_across_projects(hub: Hub, tmp_path: Path) -> None:
    src = _jsonl(tmp_path / "t.jsonl", 400)
    rule = parse_split("0.5/0.25/0.25", seed=3)
    first, second = new_project(hub, "one", ItemKind.TEXT), new_project(hub, "two", ItemKind.TEXT)
    for pid in (first, second):
        import_source(hub, SYSTEM, pid, src, fmt="text", options=ImportOptions(split=rule))
    a, b = _splits(hub, first), _splits(hub, second)
    assert a == b
    counts = Counter(a.values())
    assert set(counts) == {"train", "val", "test"}
    assert 150 <= counts["train"] <= 250


def test_import_split_from_a_field(hub: Hub, tmp_path: Path) -> None:
    src = _jsonl(tmp_path / "t.jsonl", 10, subset=True)
    pid = new_project(hub, "f", ItemKind.TEXT)
    import_source(hub, SYSTEM, pid, src, fmt="text", options=ImportOptions(split=parse_split("field:subset")))
    assert set(_splits(hub, pid).values()) == {"dev"}


def test_export_with_a_split_writes_it_without_changing_the_project(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "e", ItemKind.TEXT)
    import_source(hub, SYSTEM, pid, _jsonl(tmp_path / "t.jsonl", 200), fmt="text")
    out = tmp_path / "out.jsonl"
    export_project(hub, SYSTEM, pid, out, fmt="text", options=ExportOptions(split=parse_split("0.9/0.1", seed=1)))
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert {r.get("split") for r in rows} == {"train", "val"}
    assert set(_splits(hub, pid).values()) == {None}
