"""A small export reports its progress item by item, not 0 % and then 99 %."""

from __future__ import annotations

import tarfile
from pathlib import Path

from tests.builders import coco_dict, new_project, write_dataset

from labelhub.formats import ExportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source

SYSTEM = Actor.system()


def test_a_small_webdataset_export_with_images_advances_item_by_item(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "ten")
    names = [f"img{i}.png" for i in range(10)]
    import_source(hub, SYSTEM, pid, write_dataset(tmp_path / "src", coco_dict(names)))
    seen: list[tuple[float, str]] = []
    dest = tmp_path / "wds"
    options = ExportOptions(copy_media=True, extra={"shard_size": "4"})
    export_project(hub, SYSTEM, pid, dest, fmt="webdataset", options=options, progress=lambda f, m: seen.append((f, m)))
    with tarfile.open(dest / "wds-000000.tar") as tar:
        assert sum(n.endswith(".png") for n in tar.getnames()) == 4  # the images went into the shards
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions)  # only ever forward
    assert [round(f, 3) for f in fractions[1:]] == [round(0.099 * n, 3) for n in range(1, 11)]
    assert seen[3][1] == "wrote 3 of 10 items"
