"""NIfTI sources a hostile or careless sender makes: huge declared sizes, bad affines, colour voxels, label maps
of fractions and negatives, a broken dataset.json. Each is refused naming the file (and field), and an import
of it leaves the project empty (SQLite and PostgreSQL)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import nibabel as nib
import numpy as np
import orjson
import pytest
from sqlalchemy import func, select
from tests.builders import new_project

from labelhub.domain.enums import ItemKind
from labelhub.errors import FormatError, LabelhubError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.media.volume import decode_volume
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Annotation, Item

SHAPE = (5, 4, 3)


def _image(path: Path, data: np.ndarray | None = None, affine: np.ndarray | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.arange(60, dtype=np.int16).reshape(SHAPE) if data is None else data
    nib.save(nib.Nifti1Image(data, np.eye(4) if affine is None else affine), str(path))
    return path


def _header_file(path: Path, shape: tuple[int, ...], *, gz: bool) -> Path:
    header = nib.Nifti1Header()
    header.set_data_shape(shape)
    header.set_data_dtype(np.uint8)
    raw = bytes(header.binaryblock) + b"\0" * 104
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def _raw_affine(path: Path, **fields: object) -> Path:
    img = nib.Nifti1Image(np.zeros(SHAPE, np.int16), np.eye(4))
    for key, value in fields.items():
        img.header[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(img.header.binaryblock) + b"\0" * 4 + np.zeros(SHAPE, np.int16).tobytes())
    return path


def _labelled(root: Path, labels: np.ndarray) -> Path:
    _image(root / "a.nii.gz")
    _image(root / "labels" / "a.nii.gz", labels)
    return root


def _case(root: Path, case: str) -> tuple[Path, str]:
    """Write the source of ``case``; return it and a part of the message its import must give."""
    if case == "10000-cubed":
        return _header_file(root / "a.nii", (10000, 10000, 10000), gz=False).parent, "10000x10000x10000 uint8 voxels"
    if case == "10000-cubed-gz":
        return _header_file(root / "a.nii.gz", (10000, 10000, 10000), gz=True).parent, "more than the"
    if case == "cut-short":
        return _header_file(root / "a.nii", (800, 800, 800), gz=False).parent, "cut short"
    if case == "cut-short-gz":  # 512 MB declared in a file of a few hundred bytes: counted before allocating
        return _header_file(root / "a.nii.gz", (800, 800, 800), gz=True).parent, "cut short"
    if case == "singular-affine":
        zero = [0.0, 0.0, 0.0, 0.0]
        return _raw_affine(root / "a.nii", sform_code=1, qform_code=0, srow_x=zero).parent, "affine"
    if case == "nan-affine":
        return _raw_affine(root / "a.nii", sform_code=1, qform_code=0, srow_y=[0, np.nan, 0, 0]).parent, "affine"
    if case == "complex":
        return _image(root / "a.nii.gz", np.zeros(SHAPE, np.complex64)).parent, "complex64 voxels"
    if case == "half-label":
        labels = np.zeros(SHAPE, np.float32)
        labels[1, 1, 1] = 0.5
        return _labelled(root, labels), "not whole numbers"
    if case == "nan-label":
        labels = np.zeros(SHAPE, np.float32)
        labels[1, 1, 1] = np.nan
        return _labelled(root, labels), "not whole numbers"
    if case == "negative-label":
        labels = np.zeros(SHAPE, np.int16)
        labels[1, 1, 1] = -1
        return _labelled(root, labels), "value -1 without a class name"
    raise AssertionError(case)


CASES = [
    "10000-cubed",
    "10000-cubed-gz",
    "cut-short",
    "cut-short-gz",
    "singular-affine",
    "nan-affine",
    "complex",
    "half-label",
    "nan-label",
    "negative-label",
]


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_file_is_refused_naming_it_and_nothing_is_imported(hub: Hub, tmp_path: Path, case: str) -> None:
    source, says = _case(tmp_path / case, case)
    pid = new_project(hub, case, ItemKind.VOLUME)
    with pytest.raises(LabelhubError) as err:
        import_source(hub, Actor.system(), pid, source, fmt="nifti", options=ImportOptions(extra={"labels": "a"}))
    text = f"{err.value.detail} {err.value.context}"
    assert says in text and "a.nii" in text, text
    with hub.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Item).where(Item.project_id == pid)) == 0
        assert s.scalar(select(func.count()).select_from(Annotation)) == 0


@pytest.mark.parametrize(
    ("doc", "says", "field"),
    [
        (b"{not json", "is not valid JSON", None),
        (orjson.dumps({"labels": {"0": "background", "one": "anterior"}}), "'one' is not a whole number", "labels"),
        (orjson.dumps({"labels": {"0": "background", "1.5": "x"}}), "'1.5' is not a whole number", "labels"),
        (orjson.dumps({"labels": {"0": "background", "1": None}}), "label 1 has no name", "labels.1"),
        (orjson.dumps({"labels": ["background", "anterior"]}), "must be an object", "labels"),
        (orjson.dumps(["labels"]), "must hold a JSON object", None),
        (orjson.dumps({"labels": {"0": "bg", "1": "a", "2": "a"}}), "labels 1 and 2 are both named 'a'", "labels.2"),
        (orjson.dumps({"labels": {"0": "bg", "1": "x" * 500}}), "500 characters long", "labels.1"),
        (orjson.dumps({"labels": {"0": "bg", "1": "a\u0000b"}}), "holds a NUL character", "labels.1"),
        (
            orjson.dumps({"labels": {"background": 0, "tumour": [1, 2]}}),
            "is a region of several values",
            "labels.tumour",
        ),
    ],
    ids=["not-json", "word-key", "fraction-key", "no-name", "list", "not-object", "twice", "long", "nul", "region"],
)
def test_a_broken_dataset_json_is_refused_naming_it_and_the_field(
    tmp_path: Path, doc: bytes, says: str, field: str | None
) -> None:
    from labelhub.formats.nifti import NiftiImporter

    _image(tmp_path / "imagesTr" / "a.nii.gz")
    (tmp_path / "dataset.json").write_bytes(doc)
    with pytest.raises(FormatError, match=says) as err:
        NiftiImporter(tmp_path, ImportOptions())
    assert err.value.context.get("file") == str(tmp_path / "dataset.json")
    assert err.value.context.get("field") == field


@pytest.mark.parametrize(
    ("names", "says", "field"),
    [("a,a", "labels 1 and 2 are both named 'a'", "labels[1]"), ("a," + "x" * 300, "300 characters", "labels[1]")],
    ids=["twice", "long"],
)
def test_option_labels_are_checked_as_class_names(tmp_path: Path, names: str, says: str, field: str) -> None:
    from labelhub.formats.nifti import NiftiImporter

    with pytest.raises(FormatError, match=says) as err:
        NiftiImporter(_image(tmp_path / "a.nii.gz"), ImportOptions(extra={"labels": names}))
    assert err.value.context.get("field") == field


def test_nan_and_infinite_voxels_import_and_are_sent_as_zeros_in_float32(tmp_path: Path, hub: Hub) -> None:
    data = np.arange(60, dtype=np.float32).reshape(SHAPE)
    data[0, 0, 0], data[1, 1, 1] = np.nan, np.inf
    path = _image(tmp_path / "src" / "a.nii.gz", data)
    pid = new_project(hub, "nan", ItemKind.VOLUME)
    report = import_source(hub, Actor.system(), pid, path.parent, fmt="nifti")
    assert report.items_added == 1
    vol = decode_volume(path.read_bytes(), "a")
    assert vol.dtype == "float32" and np.all(np.isfinite(vol.data)) and vol.range == (0.0, 59.0)


def test_a_fifo_named_like_a_volume_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    from tests.formats._support import split_records

    from labelhub.formats.nifti import NiftiImporter

    _image(tmp_path / "a.nii.gz")
    os.mkfifo(tmp_path / "b.nii")
    with NiftiImporter(tmp_path, ImportOptions()) as imp:
        items, problems = split_records(imp)
    assert [i.name for i in items] == ["a.nii.gz"]
    assert [(p.file, "not a regular file" in p.message) for p in problems] == [(str(tmp_path / "b.nii"), True)]


def test_a_4d_file_of_one_volume_exports_a_3d_label_map_on_its_grid_without_reading_its_voxels(
    hub: Hub, tmp_path: Path
) -> None:
    from labelhub.formats import ExportOptions
    from labelhub.services.exports import export_project

    affine = np.diag([-1.5, 2.0, 3.0, 1.0])
    _image(tmp_path / "src" / "a.nii.gz", np.arange(60, dtype=np.int16).reshape((*SHAPE, 1)), affine)
    labels = np.zeros((*SHAPE, 1), np.uint8)
    labels[0, 1, 2, 0] = 1
    _image(tmp_path / "src" / "labels" / "a.nii.gz", labels, affine)
    pid = new_project(hub, "four", ItemKind.VOLUME)
    import_source(hub, Actor.system(), pid, tmp_path / "src", fmt="nifti", options=ImportOptions(extra={"labels": "x"}))
    export_project(hub, Actor.system(), pid, tmp_path / "out", fmt="nifti", options=ExportOptions())
    out = nib.load(str(tmp_path / "out" / "labels" / "a.nii.gz"))
    assert out.shape == SHAPE and np.allclose(out.affine, affine)
    assert np.array_equal(np.asarray(out.dataobj), labels[..., 0])
