"""WebDataset: a project through shards and back, the shards read by the webdataset library, hostile tars refused."""

from __future__ import annotations

import io
import itertools
import tarfile
from pathlib import Path
from typing import Any

import orjson
import pytest
import torch
import webdataset as wds
from PIL import Image
from sqlalchemy import select
from tests.builders import new_project
from tests.formats._support import split_records
from torch.utils.data import DataLoader

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError, ImportValidationError
from labelhub.formats import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.webdataset import WebDatasetExporter, WebDatasetImporter, detect
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_records, import_source
from labelhub.storage.models import Annotation, Item

SYSTEM = Actor.system()
LABELS = ["cat", "dog", "bird"]


def make_items(folder: Path, n: int) -> list[ItemRecord]:
    """Return ``n`` image items (64x48, a different colour each; PNG and JPEG by turns) with boxes and polygons."""
    folder.mkdir(parents=True, exist_ok=True)
    items: list[ItemRecord] = []
    for i in range(n):
        ext = "png" if i % 2 else "jpg"
        path = folder / f"img{i}.{ext}"
        Image.new("RGB", (64, 48), (i * 23 % 256, 90, 255 - i * 11 % 256)).save(path)
        anns = [
            AnnotationRecord(AnnotationKind.BOX, LABELS[i % 3], {"bbox": [1.5 + i, 2.25, 30.0, 40.125]}),
            AnnotationRecord(
                AnnotationKind.POLYGON, LABELS[(i + 1) % 3], {"points": [5.0, 5.0, 50.5, 6.0, 20.0, 44.75]}
            ),
        ]
        if i == 3:
            anns.append(
                AnnotationRecord(
                    AnnotationKind.BOX,
                    "dog",
                    {"bbox": [0.0, 0.0, 10.0, 10.0]},
                    source=Source.MODEL,
                    state=AnnotationState.ACCEPTED,
                    score=0.875,
                    model_version="det-v2",
                    attributes={"occluded": True},
                )
            )
        items.append(
            ItemRecord(
                kind=ItemKind.IMAGE,
                name=f"photos/img{i}.{ext}",
                media_path=path,
                width=64,
                height=48,
                split="train" if i < 5 else "val",
                meta={"source": "test", "n": i},
                annotations=anns,
            )
        )
    return items


def export_items(dest: Path, items: list[ItemRecord], labels: list[str] = LABELS, **extra: Any) -> dict[str, Any]:
    with WebDatasetExporter(dest, labels, ExportOptions(extra=extra)) as exporter:
        for rec in items:
            exporter.write(ExportItem(record=rec, media_file=rec.media_path, frame_files=rec.frame_files))
    [index] = dest.glob("*-index.json")
    loaded: dict[str, Any] = orjson.loads(index.read_bytes())
    return loaded


def read_shards(source: Path, **options: Any) -> tuple[list[ItemRecord], list[Problem], list[str]]:
    with WebDatasetImporter(source, ImportOptions(**options)) as importer:
        items, problems = split_records(importer)
        labels = importer.labels()
    return items, problems, labels


def media_bytes(source: Path) -> dict[str, list[bytes]]:
    """Return the bytes of each item's extracted media (frames in order), read before the importer closes."""
    with WebDatasetImporter(source, ImportOptions()) as importer:
        items, _ = split_records(importer)
        return {
            i.name: [p.read_bytes() for p in i.frame_files or ([i.media_path] if i.media_path else [])] for i in items
        }


def project_view(hub: Hub, pid: int) -> list[tuple[Any, ...]]:
    """Return each item with its media key and its annotations, as a user of the project sees them."""
    with hub.db.session() as s:
        items = s.scalars(select(Item).where(Item.project_id == pid).order_by(Item.name)).all()
        out = []
        for it in items:
            anns = s.scalars(select(Annotation).where(Annotation.item_id == it.id).order_by(Annotation.id)).all()
            shown = [
                (a.kind, a.label, a.geometry, a.source, a.state, a.score, a.model_version, a.attributes) for a in anns
            ]
            out.append((it.name, it.media_key, it.width, it.height, it.split, it.meta, it.status, *shown))
    return out


def test_project_round_trip_through_shards_of_three(hub: Hub, tmp_path: Path) -> None:
    first = new_project(hub, "photos")
    items = make_items(tmp_path / "media", 7)
    import_records(hub, SYSTEM, first, items, labels=LABELS, format_name="test", options=ImportOptions())
    out = tmp_path / "shards"
    options = ExportOptions(extra={"shard_size": 3, "name": "train"})
    report = export_project(hub, SYSTEM, first, out, fmt="webdataset", options=options)
    assert (report.items, report.annotations) == (7, 15)

    index = orjson.loads((out / "train-index.json").read_bytes())
    assert sorted(p.name for p in out.iterdir()) == [
        "train-000000.tar",
        "train-000001.tar",
        "train-000002.tar",
        "train-index.json",
    ]
    assert index["pattern"] == "train-{000000..000002}.tar"
    assert [(s["name"], s["samples"]) for s in index["shards"]] == [
        ("train-000000.tar", 3),
        ("train-000001.tar", 3),
        ("train-000002.tar", 1),
    ]
    assert index["samples"] == 7 and index["labels"] == LABELS
    with tarfile.open(out / "train-000000.tar") as tar:
        assert tar.getnames() == ["00000000.jpg", "00000000.json", "00000001.png", "00000001.json", "00000002.jpg",
                                  "00000002.json"]  # fmt: skip
        doc = orjson.loads(tar.extractfile("00000001.json").read())  # type: ignore[union-attr]
    assert (doc["name"], doc["width"], doc["height"], doc["split"]) == ("photos/img1.png", 64, 48, "train")
    labelled = [(a["kind"], a["label"], a["label_id"]) for a in doc["annotations"]]
    assert labelled == [("box", "dog", 1), ("polygon", "bird", 2)]
    assert doc["annotations"][0]["geometry"] == {"bbox": [2.5, 2.25, 30.0, 40.125]}

    second = new_project(hub, "photos again")
    back = import_source(hub, SYSTEM, second, out, fmt="webdataset")
    assert (back.items_added, back.annotations_added, back.labels) == (7, 15, LABELS)
    assert project_view(hub, second) == project_view(hub, first)
    # The same content exports to byte-identical shards, from either project.
    again = tmp_path / "again"
    export_project(hub, SYSTEM, second, again, fmt="webdataset", options=options)
    for shard in out.iterdir():
        assert (again / shard.name).read_bytes() == shard.read_bytes(), shard.name


def collate(batch: list[tuple[torch.Tensor, dict[str, Any]]]) -> tuple[torch.Tensor, list[dict[str, Any]]]:
    images, docs = zip(*batch, strict=True)
    return torch.stack(list(images)), list(docs)


def test_shards_stream_through_webdataset_and_a_torch_dataloader(tmp_path: Path) -> None:
    items = make_items(tmp_path / "media", 10)
    dest = tmp_path / "wds"
    index = export_items(dest, items, shard_size=3)
    assert index["pattern"] == "wds-{000000..000003}.tar"
    pattern = str(dest / index["pattern"])

    dataset = wds.WebDataset(pattern, shardshuffle=False).decode("torchrgb").to_tuple("jpg;png", "json")
    names: list[str] = []
    for images, docs in DataLoader(dataset, batch_size=4, num_workers=0, collate_fn=collate):
        assert images.shape[1:] == (3, 48, 64) and images.dtype == torch.float32
        assert len(docs) == images.shape[0]
        names.extend(d["name"] for d in docs)
        for d in docs:
            assert [a["label_id"] for a in d["annotations"]] == [LABELS.index(a["label"]) for a in d["annotations"]]
    assert sorted(names) == sorted(i.name for i in items) and len(names) == 10

    pil = list(wds.WebDataset(pattern, shardshuffle=False).decode("pil").to_tuple("jpg;png", "json"))
    assert len(pil) == 10 and all(img.size == (64, 48) for img, _ in pil)
    # Colours survive (PNG exactly, JPEG within its loss).
    img1, doc1 = pil[1]
    assert doc1["name"] == "photos/img1.png" and img1.getpixel((5, 5)) == (23, 90, 244)


def test_export_is_deterministic_and_all_or_nothing(tmp_path: Path) -> None:
    items = make_items(tmp_path / "media", 5)
    export_items(tmp_path / "a", items, shard_size=2)
    export_items(tmp_path / "b", items, shard_size=2)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["a-000000.tar", "a-000001.tar", "a-000002.tar", "a-index.json"]
    for name in names[:3]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name.replace("a-", "b-")).read_bytes()
    with tarfile.open(tmp_path / "a" / "a-000000.tar") as tar:
        assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in tar} == {(0, 0, 0, "", "", 0o644)}

    items[3].media_path.unlink()  # type: ignore[union-attr]
    dest = tmp_path / "out" / "c"
    with pytest.raises(FormatError, match=r"img3\.png"):
        export_items(dest, items, shard_size=2)
    assert not (tmp_path / "out").exists()


def sample_costs(shard: Path) -> list[int]:
    """Return the bytes each sample of ``shard`` takes: its members' headers and padded data."""
    costs: dict[str, int] = {}
    with tarfile.open(shard) as tar:
        for m in tar:
            key = m.name.partition(".")[0]
            costs[key] = costs.get(key, 0) + m.offset_data - m.offset + -(-m.size // 512) * 512
    return list(costs.values())


def test_shard_bytes_limit_starts_new_shards(tmp_path: Path) -> None:
    items = make_items(tmp_path / "media", 9)
    limit = 8192
    index = export_items(tmp_path / "wds", items, shard_bytes=limit)
    assert index["samples"] == 9 and sum(s["samples"] for s in index["shards"]) == 9
    costs = [sample_costs(tmp_path / "wds" / s["name"]) for s in index["shards"]]
    assert [len(c) for c in costs] == [s["samples"] for s in index["shards"]]
    assert len(costs) >= 3
    for this, following in itertools.pairwise(costs):
        # Each shard stays within the limit, and the next sample would not have fitted.
        assert sum(this) <= limit < sum(this) + following[0]
    for s in index["shards"]:
        assert s["bytes"] == (tmp_path / "wds" / s["name"]).stat().st_size
    with pytest.raises(FormatError, match="shard_size must be a positive whole number"):
        WebDatasetExporter(tmp_path / "x", [], ExportOptions(extra={"shard_size": 0}))
    with pytest.raises(FormatError, match="option name"):
        WebDatasetExporter(tmp_path / "x", [], ExportOptions(extra={"name": "a/b"}))


def test_text_video_and_metadata_only_items_round_trip(tmp_path: Path) -> None:
    frames = []
    for n in range(3):
        frames.append(tmp_path / "seq" / f"{n}.png")
        frames[-1].parent.mkdir(exist_ok=True)
        Image.new("RGB", (32, 24), (n * 80, 0, 0)).save(frames[-1])
    track = [
        AnnotationRecord(AnnotationKind.TRACK_BOX, "walker", {"bbox": [1.0, 2.0, 10.0, 12.0]}, frame=f, track_id=4,
                         attributes={"keyframe": f == 0, "outside": False})
        for f in range(3)
    ]  # fmt: skip
    items = [
        ItemRecord(kind=ItemKind.TEXT, name="t1", text="Grüße, world", split="test",
                   annotations=[AnnotationRecord(AnnotationKind.SPAN, "greeting", {"start": 0, "end": 5})]),
        ItemRecord(kind=ItemKind.VIDEO, name="seq", width=32, height=24, frame_count=3, fps=12.5,
                   media_path=frames[0], frame_files=frames, meta={"video": {"sequence": True}}, annotations=track),
        ItemRecord(kind=ItemKind.IMAGE, name="remote.jpg", width=640, height=480, external_id="42",
                   annotations=[AnnotationRecord(AnnotationKind.CLASS, "cat")]),
    ]  # fmt: skip
    export_items(tmp_path / "wds", items, labels=["greeting", "walker"])
    with tarfile.open(tmp_path / "wds" / "wds-000000.tar") as tar:
        assert tar.getnames() == ["00000000.txt", "00000000.json", "00000001.000000.png", "00000001.000001.png",
                                  "00000001.000002.png", "00000001.json", "00000002.json"]  # fmt: skip

    back, problems, labels = read_shards(tmp_path / "wds")
    assert problems == [] and labels == ["greeting", "walker", "cat"]
    for got, want in zip(back, items, strict=True):
        for attr in ("kind", "name", "text", "width", "height", "frame_count", "fps", "split", "meta", "external_id"):
            assert getattr(got, attr) == getattr(want, attr), attr
        assert [(a.kind, a.label, a.geometry, a.frame, a.track_id, a.attributes) for a in got.annotations] == [
            (a.kind, a.label, a.geometry, a.frame, a.track_id, a.attributes) for a in want.annotations
        ]
    assert back[1].media_path == back[1].frame_files[0] and len(back[1].frame_files) == 3
    assert media_bytes(tmp_path / "wds") == {"t1": [], "seq": [p.read_bytes() for p in frames], "remote.jpg": []}
    assert back[0].media_path is None and back[2].media_path is None

    # Metadata only: the same records, and no file is extracted.
    bare, _, _ = read_shards(tmp_path / "wds", media="none")
    assert [(i.name, i.media_path, i.frame_files) for i in bare] == [("t1", None, []), ("seq", None, []),
                                                                     ("remote.jpg", None, [])]  # fmt: skip


def test_source_can_be_one_shard_or_the_index_and_is_detected(tmp_path: Path) -> None:
    export_items(tmp_path / "wds", make_items(tmp_path / "media", 4), shard_size=2)
    assert detect(tmp_path / "wds") and detect(tmp_path / "wds" / "wds-index.json")
    assert detect(tmp_path / "wds" / "wds-000001.tar")
    assert not detect(tmp_path / "media")
    one, _, _ = read_shards(tmp_path / "wds" / "wds-000001.tar")
    assert [i.name for i in one] == ["photos/img2.jpg", "photos/img3.png"]
    via_index, _, labels = read_shards(tmp_path / "wds" / "wds-index.json")
    assert len(via_index) == 4 and labels == LABELS
    with pytest.raises(FormatError, match="cannot be linked"):
        WebDatasetImporter(tmp_path / "wds", ImportOptions(media="link"))
    (tmp_path / "wds" / "wds-000001.tar").unlink()
    with pytest.raises(FormatError, match=r"shard wds-000001\.tar is missing") as err:
        WebDatasetImporter(tmp_path / "wds", ImportOptions())
    assert err.value.context["field"] == "shards[1].name"


def tar_with(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


def sample_json(name: str) -> bytes:
    return orjson.dumps({"name": name, "kind": "image", "media": "png", "width": 2, "height": 2, "annotations": []})


def test_hostile_members_are_refused_and_nothing_lands_outside(tmp_path: Path) -> None:
    png = io.BytesIO()
    Image.new("RGB", (2, 2)).save(png, format="PNG")
    shards = tmp_path / "shards"
    shards.mkdir()
    tar = tar_with(
        shards / "evil-000000.tar",
        [
            (member("00000000.png"), png.getvalue()),
            (member("00000000.json"), sample_json("good.png")),
            (member("../../escaped.png"), b"zip slip"),
            (member("/tmp/abs-escaped.png"), b"absolute"),
            (member("00000002.png", tarfile.SYMTYPE, "/etc/passwd"), None),
            (member("00000002.json"), sample_json("linked.png")),
            (member("00000003.png", tarfile.LNKTYPE, "00000000.png"), None),
            (member("00000004.png", tarfile.CHRTYPE), None),
            (member("00000005.png", tarfile.FIFOTYPE), None),
            (member("00000006.json"), b"{not json"),
        ],
    )
    importer = WebDatasetImporter(shards, ImportOptions())
    with importer:
        items, problems = split_records(importer)
        assert [i.name for i in items] == ["good.png"]
        extracted = items[0].media_path
        assert extracted is not None and extracted.read_bytes() == png.getvalue()
    assert extracted.parent.name.startswith("labelhub-wds-") and not extracted.parent.exists()  # removed on close
    assert all(p.file == str(tar) for p in problems)
    fields = [p.field for p in problems]
    assert fields[:6] == ["../../escaped.png", "/tmp/abs-escaped.png", "00000002.png", "00000003.png",
                          "00000004.png", "00000005.png"]  # fmt: skip
    text = [p.message for p in problems]
    assert "unsafe member name '../../escaped.png'" in text[0] and "evil-000000.tar" in text[0]
    assert "is a link to '/etc/passwd'" in text[2] and "links are refused" in text[3]
    assert "not a regular file" in text[4] and "not a regular file" in text[5]
    assert "00000006.json is not valid JSON" in text[6] and problems[6].line == 1
    assert not (tmp_path / "escaped.png").exists() and not Path("/tmp/abs-escaped.png").exists()
    assert not (tmp_path.parent / "escaped.png").exists()


def test_bad_sample_fields_are_problems_naming_the_field(tmp_path: Path) -> None:
    anns = [{"kind": "blob", "label": "x"}, {"kind": "box", "label": "cat", "geometry": {"bbox": [1, 1, 5, 5]}}]
    doc = {"name": "a.png", "kind": "image", "width": 10, "height": 10, "annotations": anns}
    tar = tar_with(
        tmp_path / "s.tar",
        [
            (member("00000000.json"), orjson.dumps(doc)),
            (member("00000001.json"), orjson.dumps({"name": "b", "kind": "image", "width": "wide"})),
            (member("00000002.png"), b"\x89PNG"),
            (member("noextension"), b"x"),
        ],
    )
    items, problems, _ = read_shards(tar)
    assert [(i.name, [a.label for a in i.annotations]) for i in items] == [("a.png", ["cat"])]
    assert [(p.file, p.field) for p in problems] == [
        (str(tar), "00000000.json: annotations[0].kind"),
        (str(tar), "00000001.json: width"),
        (str(tar), "00000002.json"),
        (str(tar), "noextension"),
    ]
    assert "kind must be one of box" in problems[0].message and "has no 00000002.json" in problems[2].message

    truncated = tmp_path / "cut.tar"
    truncated.write_bytes(tar.read_bytes()[:700])
    with pytest.raises(FormatError, match=r"cannot read shard cut\.tar") as err:
        read_shards(truncated)
    assert err.value.context["file"] == str(truncated)


def test_import_of_a_hostile_shard_is_refused_and_changes_nothing(hub: Hub, tmp_path: Path) -> None:
    shard = tar_with(
        tmp_path / "evil.tar",
        [(member("../../../escaped.png"), b"zip slip"), (member("00000000.png", tarfile.SYMTYPE, "/etc/shadow"), None)],
    )
    pid = new_project(hub, "target")
    with pytest.raises(ImportValidationError, match="unsafe member name") as err:
        import_source(hub, SYSTEM, pid, shard, fmt="webdataset")
    assert [(p["file"], p["field"]) for p in err.value.problems] == [
        (str(shard), "../../../escaped.png"),
        (str(shard), "00000000.png"),
    ]
    assert project_view(hub, pid) == []
    assert not (tmp_path.parent / "escaped.png").exists() and not (tmp_path / "escaped.png").exists()
