"""DICOM sources a hostile or careless sender makes (positions that are not numbers, a header declaring a huge
image, a SEG without its series), refused naming the file with the project left empty; and the real dcmqi case
exported as NIfTI, its label map compared with the NRRD maps in world coordinates (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

import nibabel as nib
import nrrd
import numpy as np
import pytest
from pydicom import dcmread
from sqlalchemy import func, select
from tests.builders import new_project
from tests.formats._dicom_support import read_dicom, write_series

from labelhub.domain.enums import ItemKind
from labelhub.errors import LabelhubError
from labelhub.formats import ExportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.storage.models import Item

pytestmark = pytest.mark.filterwarnings("ignore:Invalid value for VR DS")

CASE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "medical_dcmqi_ct3slice_seg").resolve()


def _edit(path: Path, **values: object) -> None:
    ds = dcmread(path)
    for key, value in values.items():
        setattr(ds, key, value)
    ds.save_as(path)


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"ImagePositionPatient": ["nan", "0", "0"]}, "not a finite number"),
        ({"ImageOrientationPatient": ["1", "0", "0", "0", "inf", "0"]}, "not a finite number"),
        ({"PixelSpacing": ["nan", "0.5"]}, "not a finite number"),
        ({"Rows": 60000, "Columns": 60000}, "more than the 1,073,741,824"),
    ],
    ids=["nan-position", "inf-orientation", "nan-spacing", "huge-size"],
)
def test_a_hostile_header_is_a_problem_naming_the_file_and_the_project_stays_empty(
    hub: Hub, tmp_path: Path, values: dict[str, object], says: str
) -> None:
    write_series(tmp_path / "ct", slices=3)
    for f in sorted((tmp_path / "ct").glob("*.dcm")):
        _edit(f, **values)
    assert any(says in p for p in read_dicom(tmp_path / "ct").problems)
    pid = new_project(hub, "hostile", ItemKind.VOLUME)
    with pytest.raises(LabelhubError) as err:
        import_source(hub, Actor.system(), pid, tmp_path / "ct", fmt="dicom")
    assert says in err.value.detail and ".dcm" in err.value.detail
    with hub.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Item).where(Item.project_id == pid)) == 0


def test_a_slice_without_its_position_names_the_file(tmp_path: Path) -> None:
    write_series(tmp_path / "ct", slices=3)
    ds = dcmread(tmp_path / "ct" / "s1.dcm")
    del ds.ImagePositionPatient
    ds.save_as(tmp_path / "ct" / "s1.dcm")
    got = read_dicom(tmp_path / "ct")
    assert got.items == [] and any("s1.dcm has no ImagePositionPatient" in p for p in got.problems), got.problems


def test_the_dcmqi_case_exports_a_label_map_that_lies_on_the_nrrd_maps_in_world_space(hub: Hub, tmp_path: Path) -> None:
    if not CASE.is_dir():
        pytest.skip(f"real data {CASE} is not here")
    pid = new_project(hub, "dcmqi", ItemKind.VOLUME)
    import_source(hub, Actor.system(), pid, CASE, fmt="dicom")
    out = tmp_path / "out"
    export_project(hub, Actor.system(), pid, out, fmt="nifti", options=ExportOptions(copy_media=True))
    image = nib.load(str(out / "images" / "ct_dicom.nii.gz"))
    exported = nib.load(str(out / "labels" / "ct_dicom.nii.gz"))
    assert exported.shape == image.shape == (512, 512, 3) and np.allclose(exported.affine, image.affine)
    labels = np.asarray(exported.dataobj)
    values = {name: i + 1 for i, name in enumerate(["Liver", "heart", "liver", "spine"])}
    for name in ("heart", "liver", "spine"):
        data, header = nrrd.read(str(CASE / "seg_nrrd" / f"{name}_seg.nrrd"))
        ijk = np.argwhere(np.ones(data.shape, bool))
        lps = ijk @ np.asarray(header["space directions"], float) + np.asarray(header["space origin"], float)
        ras = np.c_[lps * [-1.0, -1.0, 1.0], np.ones(len(lps))]
        vox = np.rint((ras @ np.linalg.inv(exported.affine).T)[:, :3]).astype(int)
        got = labels[vox[:, 0], vox[:, 1], vox[:, 2]]
        inside = data[ijk[:, 0], ijk[:, 1], ijk[:, 2]] != 0
        assert inside.any()
        # Where the NRRD has the class the export holds it (or a class later in the list, which wins overlaps).
        assert np.all(got[inside] >= values[name]) and not np.any(got[~inside] == values[name]), name


def test_a_fifo_in_the_source_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    write_series(tmp_path / "ct", slices=3)
    os.mkfifo(tmp_path / "ct" / "pipe")
    got = read_dicom(tmp_path / "ct")
    assert len(got.items) == 1 and got.problems == ["pipe: pipe is not a regular file (a FIFO or a device)"]
