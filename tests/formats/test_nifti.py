"""NIfTI volumes: synthetic files (a flipped LAS affine), MSD layouts, broken files, label maps out and back in,
and the real MSD hippocampus subset through the import and export services."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import orjson
import pytest
from sqlalchemy import func, select
from tests.builders import new_project
from tests.conftest import data_path
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.formats import ExportItem, ExportOptions, ImportOptions, detect_format
from labelhub.formats._volume_masks import mask_array
from labelhub.formats.nifti import NiftiExporter, NiftiImporter
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.storage.models import Annotation, Item

LAS = np.diag([-2.0, 3.0, 4.0, 1.0])  # voxel i grows towards the patient's left: x is flipped against RAS+


def write_nifti(path: Path, data: np.ndarray, affine: np.ndarray = LAS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, affine), str(path))
    return path


def image(seed: int = 0) -> np.ndarray:
    """A 4 x 3 x 2 volume (LAS voxel order) of distinct whole numbers."""
    return (np.arange(24, dtype=np.int16).reshape(4, 3, 2) * 10 + seed).astype(np.int16)


def label_map() -> np.ndarray:
    """Value 1 at voxel (0, 1, 1), value 2 at (3, 2, 0) and (2, 2, 0), of a 4 x 3 x 2 LAS volume."""
    out = np.zeros((4, 3, 2), dtype=np.uint8)
    out[0, 1, 1] = 1
    out[3, 2, 0] = out[2, 2, 0] = 2
    return out


def read(source: Path, **extra: Any) -> tuple[list[ItemRecord], list[Problem]]:
    with NiftiImporter(source, ImportOptions(extra=extra)) as imp:
        return split_records(imp)


def masks_of(rec: ItemRecord) -> dict[tuple[str | None, int | None], list[tuple[int, int]]]:
    """Each mask's (label, slice) -> its pixels as (row, column)."""
    out: dict[tuple[str | None, int | None], list[tuple[int, int]]] = {}
    for a in rec.annotations:
        rows, cols = np.nonzero(mask_array(a.geometry))
        out[(a.label, a.frame)] = sorted(zip(rows.tolist(), cols.tolist(), strict=True))
    return out


def test_a_flipped_las_volume_is_shown_in_ras_order_with_its_masks_on_the_right_pixels(tmp_path: Path) -> None:
    write_nifti(tmp_path / "ds" / "images" / "case.nii.gz", image())
    write_nifti(tmp_path / "ds" / "labels" / "case.nii.gz", label_map())
    items, problems = read(tmp_path / "ds", labels="liver,tumour")
    assert problems == []
    (rec,) = items
    assert (rec.kind, rec.name, rec.width, rec.height, rec.frame_count) == (
        ItemKind.VOLUME,
        "images/case.nii.gz",
        4,
        3,
        2,
    )
    assert rec.meta == {"volume": {"modality": None, "spacing": [2.0, 3.0, 4.0], "source": "nifti"}}
    # LAS voxel (0, 1, 1) is RAS+ (3, 1, 1): shown at row Y-1-1 = 1, column X-1-3 = 0 of slice 1 (right on the left).
    # (3, 2, 0) and (2, 2, 0) are RAS+ (0, 2, 0), (1, 2, 0): row 0, columns 3 and 2 of slice 0.
    assert masks_of(rec) == {("liver", 1): [(1, 0)], ("tumour", 0): [(0, 2), (0, 3)]}
    assert all(a.kind is AnnotationKind.MASK and a.geometry["size"] == [3, 4] for a in rec.annotations)


def test_msd_layout_names_classes_from_dataset_json_and_keeps_the_modality(tmp_path: Path) -> None:
    root = tmp_path / "Task09"
    for split in ("Tr", "Ts"):
        write_nifti(root / f"images{split}" / "spleen_1.nii.gz", image())
    write_nifti(root / "labelsTr" / "spleen_1.nii.gz", label_map())
    doc = {"labels": {"0": "background", "1": "Anterior", "2": "Posterior"}, "modality": {"0": "MRI"}}
    (root / "dataset.json").write_bytes(orjson.dumps(doc))
    (root / "imagesTr" / "._spleen_1.nii.gz").write_bytes(b"\x00\x05\x16\x07")  # a macOS resource fork: skipped
    assert detect_format(root, ItemKind.VOLUME).name == "nifti"
    with NiftiImporter(root, ImportOptions()) as imp:
        assert imp.labels() == ["Anterior", "Posterior"] and imp.total() == 2
        items, problems = split_records(imp)
    assert problems == []
    assert [(r.name, len(r.annotations)) for r in items] == [
        ("imagesTr/spleen_1.nii.gz", 2),
        ("imagesTs/spleen_1.nii.gz", 0),
    ]
    assert items[0].meta["volume"]["modality"] == "MR"
    assert {a.label for a in items[0].annotations} == {"Anterior", "Posterior"}


def test_without_names_values_are_label_n_and_a_value_without_a_name_is_a_problem(tmp_path: Path) -> None:
    write_nifti(tmp_path / "ds" / "images" / "a.nii", image())
    write_nifti(tmp_path / "ds" / "labels" / "a.nii", label_map())
    with NiftiImporter(tmp_path / "ds", ImportOptions()) as imp:
        assert imp.labels() == ["label_1", "label_2"]
    items, problems = read(tmp_path / "ds", labels="liver")
    assert len(problems) == 1 and "value 2 without a class name" in problems[0].message
    assert str(tmp_path / "ds" / "labels" / "a.nii") in problems[0].message
    assert [a.label for a in items[0].annotations] == ["liver"]  # the named value still imports


def test_a_label_map_of_another_shape_is_a_problem_naming_both_files(tmp_path: Path) -> None:
    write_nifti(tmp_path / "ds" / "images" / "a.nii.gz", image())
    write_nifti(tmp_path / "ds" / "labels" / "a.nii.gz", np.zeros((4, 3, 3), np.uint8))
    items, problems = read(tmp_path / "ds", labels="x")
    assert items == [] and len(problems) == 1
    msg = problems[0].message
    assert "4x3x3" in msg and "4x3x2" in msg and "labels/a.nii.gz" in msg and "images/a.nii.gz" in msg


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("text.nii", b"this is not a volume", "not a readable NIfTI file"),
        ("flat.nii.gz", None, "2-D data"),
        ("series.nii.gz", None, "4-D data"),
        ("cut.nii.gz", None, "cannot be read"),
    ],
)
def test_a_broken_file_is_a_problem_naming_it(tmp_path: Path, name: str, content: bytes | None, says: str) -> None:
    path = tmp_path / "ds" / name
    path.parent.mkdir(parents=True)
    if content is not None:
        path.write_bytes(content)
    elif name.startswith("flat"):
        write_nifti(path, np.zeros((4, 3), np.int16))
    elif name.startswith("series"):
        write_nifti(path, np.zeros((4, 3, 2, 5), np.int16))
    else:
        whole = gzip.compress(nib.Nifti1Image(np.arange(4000, dtype=np.float32).reshape(20, 20, 10), LAS).to_bytes())
        path.write_bytes(whole[: len(whole) // 2])
    write_nifti(tmp_path / "ds" / "good.nii.gz", image())
    items, problems = read(tmp_path / "ds")
    assert [r.name for r in items] == ["good.nii.gz"]
    assert len(problems) == 1 and says in problems[0].message and name in problems[0].message


def _export(tmp_path: Path, records: list[ItemRecord], media: dict[str, Path], labels: list[str]) -> Path:
    out = tmp_path / "out"
    with NiftiExporter(out, labels, ExportOptions(copy_media=True)) as exp:
        for rec in records:
            exp.write(ExportItem(rec, media_file=media[rec.name]))
    assert exp.tally.annotations == sum(len(r.annotations) for r in records)
    return out


def test_export_overlays_the_source_and_imports_back_to_the_same_masks(tmp_path: Path) -> None:
    src = write_nifti(tmp_path / "ds" / "images" / "case.nii.gz", image())
    write_nifti(tmp_path / "ds" / "labels" / "case.nii.gz", label_map())
    items, _ = read(tmp_path / "ds", labels="liver,tumour")
    box = AnnotationRecord(
        kind=AnnotationKind.BOX, label="liver", geometry={"x1": 0, "y1": 0, "x2": 1, "y2": 1}, frame=0
    )
    items[0].annotations.append(box)
    out = tmp_path / "out"
    with NiftiExporter(out, ["liver", "tumour"], ExportOptions(copy_media=True)) as exp:
        exp.write(ExportItem(items[0], media_file=src))
    assert exp.tally.annotations == 2 and exp.tally.skipped == {"box": 1}
    written = nib.load(str(out / "labels" / "case.nii.gz"))
    assert np.array_equal(np.asarray(written.dataobj), label_map())  # the source's voxel order: it overlays
    assert np.allclose(written.affine, LAS) and written.get_data_dtype() == np.uint8
    doc = orjson.loads((out / "dataset.json").read_bytes())
    assert doc["labels"] == {"0": "background", "1": "liver", "2": "tumour"} and doc["numTraining"] == 1
    assert doc["training"] == [{"image": "./images/case.nii.gz", "label": "./labels/case.nii.gz"}]
    again, problems = read(out)
    assert problems == [] and masks_of(again[0]) == masks_of(read(tmp_path / "ds", labels="liver,tumour")[0][0])


def test_overlapping_classes_are_counted_in_dataset_json(tmp_path: Path) -> None:
    src = write_nifti(tmp_path / "ds" / "a.nii.gz", image())
    (rec,) = read(tmp_path / "ds")[0]
    whole = {"points": [0, 0, 4, 0, 4, 3, 0, 3]}
    rec.annotations = [AnnotationRecord(kind=AnnotationKind.POLYGON, label=n, geometry=whole, frame=1) for n in "ab"]
    out = tmp_path / "out"
    with NiftiExporter(out, ["a", "b"], ExportOptions()) as exp:
        exp.write(ExportItem(rec, media_file=src))
    written = np.asarray(nib.load(str(out / "labels" / "a.nii.gz")).dataobj)
    assert set(np.unique(written[:, :, 1]).tolist()) == {2}  # the later class wins
    assert orjson.loads((out / "dataset.json").read_bytes())["labelhub"] == {"overlapping_voxels": 12}


def _expected_pairs(root: Path) -> int:
    """Count the non-empty (class, slice) pairs of every label map, read independently of labelhub."""
    n = 0
    for path in sorted((root / "labelsTr").glob("*.nii.gz")):
        data = np.asarray(nib.as_closest_canonical(nib.load(str(path))).dataobj)
        n += sum(int(np.any(data[:, :, k] == v)) for v in (1, 2) for k in range(data.shape[2]))
    return n


def test_the_msd_hippocampus_subset_imports_exports_and_imports_back(hub: Hub, tmp_path: Path) -> None:
    root = data_path("medical_msd_hippocampus_subset40")
    pid = new_project(hub, "hippocampus", ItemKind.VOLUME)
    opts = ImportOptions(extra={"labels": "anterior,posterior"})
    report = import_source(hub, Actor.system(), pid, root, options=opts)
    assert (report.format, report.items_added, report.annotations_added) == ("nifti", 40, _expected_pairs(root))
    expected = _expected_pairs(root)
    with hub.db.session() as s:
        assert s.scalar(select(func.count()).where(Annotation.project_id == pid)) == expected
        first = s.execute(select(Item.name, Item.width, Item.height, Item.frame_count).order_by(Item.id)).first()
        labels = set(s.scalars(select(Annotation.label).where(Annotation.project_id == pid)))
    assert tuple(first or ()) == ("imagesTr/hippocampus_001.nii.gz", 35, 51, 35) and labels == {"anterior", "posterior"}

    out = tmp_path / "out"
    exported = export_project(hub, Actor.system(), pid, out, fmt="nifti", options=ExportOptions(copy_media=True))
    assert exported.annotations == expected and len(list((out / "labels").iterdir())) == 40
    for path in sorted((root / "labelsTr").glob("*.nii.gz"))[:5]:
        ours = nib.load(str(out / "labels" / path.name))
        assert np.array_equal(np.asarray(ours.dataobj), np.asarray(nib.load(str(path)).dataobj))

    back = new_project(hub, "hippocampus again", ItemKind.VOLUME)
    again = import_source(hub, Actor.system(), back, out)
    assert again.items_added == 40
    with hub.db.session() as s:
        geoms = {p: sorted((a.frame, a.label, a.geometry["counts"]) for a in s.scalars(
            select(Annotation).where(Annotation.project_id == p))) for p in (pid, back)}  # fmt: skip
    assert geoms[pid] == geoms[back]
