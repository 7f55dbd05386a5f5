"""Projects for the search tests: real BANKING77 texts, real COCO images, and a tiny open_clip image-text model.

No weights can be downloaded here, so the image embedder is an open_clip config with one small layer per tower
and random weights, saved as a checkpoint and named in the hub's ``embedders.json`` as a user would.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.builders import new_project
from tests.conftest import data_path

from labelhub.domain.enums import ItemKind
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.search._torch_compat import import_open_clip
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Item

SYSTEM = Actor.system()
CLASSES = ("card_arrival", "exchange_rate", "lost_or_stolen_phone", "top_up_failed", "atm_support")
# Two pairs of copies: the same question in other case and punctuation (near), and the same text up to spaces (exact).
NEAR_TEXTS = [
    ("How do I locate my card?", "card_arrival"),
    ("how do I locate my card", "card_arrival"),
    ("I  still have not received my new card,\nI ordered over a week ago.", "card_arrival"),
    ("I still have not received my new card, I ordered over a week ago.", "card_arrival"),
]
TINY = {"embed_dim": 32,
        "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
        "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}  # fmt: skip


def banking_rows(per_class: int = 6) -> list[tuple[str, str]]:
    """Return (text, category) rows of BANKING77's test split: the first ``per_class`` of each of five classes."""
    taken: dict[str, list[str]] = defaultdict(list)
    with data_path("text_banking77", "test.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["category"] in CLASSES and len(taken[row["category"]]) < per_class:
                taken[row["category"]].append(row["text"])
    return [(text, c) for c in CLASSES for text in taken[c]]


def text_project(hub: Hub, folder: Path, rows: list[tuple[str, str]], name: str = "texts") -> int:
    """Create a text project holding ``rows`` (each text with its class label, accepted) and return its id."""
    pid = new_project(hub, name, ItemKind.TEXT)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "label"])
        writer.writerows((f"t{i:03d}", text, label) for i, (text, label) in enumerate(rows))
    import_source(hub, SYSTEM, pid, path, fmt="text")
    return pid


def item_ids(hub: Hub, pid: int) -> dict[str, int]:
    """Return {item name: id} of a project."""
    with hub.db.session() as s:
        return {n: i for n, i in s.execute(select(Item.name, Item.id).where(Item.project_id == pid))}


def coco_images(count: int) -> list[Path]:
    """Return the first ``count`` images of the COCO-mini captions set."""
    return sorted(data_path("captions_coco_mini_en_plus_xtd10", "images", "val2017").glob("*.jpg"))[:count]


def image_project(hub: Hub, folder: Path, files: dict[str, Path], name: str = "images") -> int:
    """Create an image project from ``files`` ({"class/name.jpg": source}) and return its id."""
    pid = new_project(hub, name, ItemKind.IMAGE)
    for rel, src in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, folder / rel)
    import_source(hub, SYSTEM, pid, folder, fmt="image_folder", options=ImportOptions(media="copy"))
    return pid


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Return the ``embedders.json`` entry of a tiny random open_clip model saved as a checkpoint."""
    import torch

    folder = tmp_path_factory.mktemp("tiny-clip")
    oc = import_open_clip()
    config = folder / "tiny-search-clip.json"
    config.write_text(json.dumps(TINY))
    oc.add_model_config(config)
    torch.manual_seed(0)
    model = oc.create_model("tiny-search-clip")
    checkpoint = folder / "tiny-search-clip.pt"
    torch.save(model.state_dict(), checkpoint)
    return {"model": str(config), "pretrained": str(checkpoint)}


def configure(hub: Hub, embedders: dict[str, dict[str, object]]) -> None:
    """Write the hub's ``embedders.json``."""
    (hub.settings.home / "embedders.json").write_text(json.dumps(embedders))
