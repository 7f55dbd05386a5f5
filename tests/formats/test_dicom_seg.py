"""The real dcmqi CT case (3 slices, liver/spine/heart NRRD maps, a liver DICOM-SEG) through the dicom format.

../shared/data/medical_dcmqi_ct3slice_seg: ct_dicom/{01,02,03}.dcm (512x512 axial CT, z = -126.69, -127.69,
-128.69 mm), seg_nrrd/{liver,spine,heart}_seg.nrrd (same grid, LPS, origin at the lowest slice) and
seg_dicom/liver.dcm (a DICOM-SEG "Liver" made by dcmqi from liver_seg.nrrd).
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import nrrd
import numpy as np
import pytest
from pydicom import dcmread
from sqlalchemy import select
from tests.builders import new_project
from tests.formats._dicom_support import read_dicom, write_series

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import ItemRecord
from labelhub.domain.volume import display_slice
from labelhub.formats import ImportOptions, detect_format
from labelhub.formats._volume_masks import mask_array
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.services.volumes import load_volume_item, slice_data, volume_info
from labelhub.storage.models import Annotation, Item

CASE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "medical_dcmqi_ct3slice_seg").resolve()
SYSTEM = Actor.system()


def masks(item: ItemRecord, label: str) -> dict[int, np.ndarray]:
    """The masks of ``label`` by slice."""
    out = {}
    for a in item.annotations:
        if a.label == label:
            assert a.kind is AnnotationKind.MASK and a.frame is not None and a.frame not in out
            out[a.frame] = mask_array(a.geometry)
    return out


def nrrd_shown(name: str) -> np.ndarray:
    """The NRRD label map as (slice, row, column) of the DICOM pixel arrays: its voxel (i, j, k) is column i, row j.

    The grid is LPS with identity directions, so this holds without labelhub's code.
    """
    data, header = nrrd.read(str(CASE / "seg_nrrd" / f"{name}_seg.nrrd"))
    assert header["space"] == "left-posterior-superior" and data.shape == (512, 512, 3)
    return np.transpose(data, (2, 1, 0))


def test_the_ct_case_is_one_volume_in_hounsfield_units_shown_as_the_dicom_pixels(case: Path) -> None:
    got = read_dicom(case)
    assert got.problems == []
    assert got.labels == ["Liver", "heart", "liver", "spine"]  # SEG segments, then NRRD classes by file
    [item] = got.items
    assert (item.kind, item.name, item.width, item.height, item.frame_count) == (
        ItemKind.VOLUME,
        "ct_dicom",
        512,
        512,
        3,
    )
    volume = item.meta["volume"]
    assert (volume["modality"], volume["window"], volume["source"]) == ("CT", {"center": 40.0, "width": 400.0}, "dicom")
    assert volume["spacing"] == pytest.approx([0.810547, 0.810547, 1.0])
    assert volume["series_number"] == 2 and volume["series_uid"].endswith(".23430.1")
    data = got.arrays[0]
    assert data is not None and data.dtype == np.int16
    # Slices go from the feet up: slice 0 is 03.dcm (z = -128.69 mm), slice 2 is 01.dcm. For this axial LPS
    # series (identity cosines) the shown slice is exactly the DICOM pixel array, rescaled to HU (slope 1,
    # intercept -1024): row 0 anterior, column 0 the patient's right.
    for k, name in enumerate(("03", "02", "01")):
        pixels = dcmread(case / "ct_dicom" / f"{name}.dcm").pixel_array.astype(np.int32) - 1024
        np.testing.assert_array_equal(display_slice(data, k), pixels)
    shown = display_slice(data, 1)
    assert int(data.min()) == -3024  # the padding outside the scanner's field of view
    assert -1100 < float(shown[40:60, 250:260].mean()) < -900  # air in front of the body
    liver = masks(item, "liver")[1] != 0
    assert 0 < float(shown[liver].mean()) < 100  # soft tissue
    # The liver lies on the patient's right: the left of the screen.
    assert float(np.nonzero(liver)[1].mean()) < 256


def test_nrrd_masks_equal_the_label_maps_and_the_seg_liver_equals_the_nrrd_liver(case: Path) -> None:
    [item] = read_dicom(case).items
    counts = Counter((a.label, a.frame) for a in item.annotations)
    assert set(counts.values()) == {1} and len(counts) == 12  # 4 classes x 3 slices, one mask each
    for name, value in (("liver", 1), ("spine", 2), ("heart", 3)):
        expected = nrrd_shown(name) == value
        got = masks(item, name)
        assert sorted(got) == [0, 1, 2]
        for k in range(3):
            np.testing.assert_array_equal(got[k] != 0, expected[k])
    liver_pixels = [int(m.sum()) for _k, m in sorted(masks(item, "liver").items())]
    assert liver_pixels == [36233, 35645, 35220]  # about 35k each
    seg = masks(item, "Liver")
    nrrd_liver = masks(item, "liver")
    for k in range(3):
        np.testing.assert_array_equal(seg[k], nrrd_liver[k])  # dcmqi made the SEG from that map: no voxel differs


def test_label_maps_outside_the_source_come_through_labels_dir(case: Path) -> None:
    with_nrrd = read_dicom(case / "ct_dicom", labels_dir="../seg_nrrd")
    assert with_nrrd.problems == [] and with_nrrd.labels == ["heart", "liver", "spine"]
    assert len(with_nrrd.items[0].annotations) == 9
    with_seg = read_dicom(case / "ct_dicom", labels_dir="../seg_dicom")
    assert with_seg.problems == [] and with_seg.labels == ["Liver"]
    assert {a.frame for a in with_seg.items[0].annotations} == {0, 1, 2}


def test_a_seg_without_its_series_and_a_label_map_off_the_grid_are_problems(case: Path, tmp_path: Path) -> None:
    alone = read_dicom(case / "seg_dicom")
    assert alone.items == []
    assert alone.problems == [
        "liver.dcm: DICOM-SEG liver.dcm segments series 1.2.392.200103.20080913.113635.1.2009.6.22.21.43.10.23430.1,"
        " which is not in the source"
    ]
    shutil.copytree(case / "ct_dicom", tmp_path / "ct")
    data, header = nrrd.read(str(case / "seg_nrrd" / "spine_seg.nrrd"))
    header["space origin"] = np.asarray(header["space origin"]) + np.array([0.0, 0.0, 5.0])
    nrrd.write(str(tmp_path / "ct" / "spine_seg.nrrd"), data, header)
    got = read_dicom(tmp_path / "ct")
    assert [i.name for i in got.items] == ["ct"] and got.items[0].annotations == []
    assert got.problems == [
        "spine_seg.nrrd: NRRD label map spine_seg.nrrd (shape 512x512x3, origin (235.20, 226.80, -123.69) RAS) fits"
        " the grid of no series"
    ]


def test_imports_into_a_volume_project_and_the_loader_shows_the_dicom_pixels(hub: Hub, case: Path) -> None:
    pid = new_project(hub, "ct3", ItemKind.VOLUME)
    assert detect_format(case, ItemKind.VOLUME).name == "dicom"
    report = import_source(hub, SYSTEM, pid, case, options=ImportOptions())  # the format detected
    assert report.format == "dicom"
    assert (report.items_added, report.annotations_added) == (1, 12)
    assert report.labels == ["Liver", "heart", "liver", "spine"]
    with hub.db.session() as s:
        [item] = s.scalars(select(Item).where(Item.project_id == pid)).all()
        frames = Counter(a.frame for a in s.scalars(select(Annotation).where(Annotation.item_id == item.id)))
        v = load_volume_item(s, SYSTEM, pid, item.id)
    assert (item.kind, item.name, item.width, item.height, item.frame_count) == ("volume", "ct_dicom", 512, 512, 3)
    assert frames == {0: 4, 1: 4, 2: 4}
    info = volume_info(hub, SYSTEM, pid, item.id)
    assert (info["width"], info["height"], info["slices"], info["dtype"], info["modality"]) == (
        512,
        512,
        3,
        "int16",
        "CT",
    )
    assert info["windows"][0]["center"] == 40.0 and info["windows"][0]["width"] == 400.0
    assert info["range"][0] == -3024
    shown = np.frombuffer(slice_data(hub, v, 0).data, dtype="<i2").reshape(512, 512)
    pixels = dcmread(case / "ct_dicom" / "03.dcm").pixel_array.astype(np.int32) - 1024
    np.testing.assert_array_equal(shown, pixels)


def write_seg(path: Path, ct: Path, masks_by_label: dict[str, np.ndarray]) -> None:
    """Write a binary DICOM-SEG (highdicom) of the series in ``ct``, one segment per label, empty frames left out."""
    import highdicom as hd
    from pydicom.uid import generate_uid

    sources = sorted((dcmread(p) for p in ct.glob("*.dcm")), key=lambda d: float(d.ImagePositionPatient[2]))
    organ = hd.sr.CodedConcept("91723000", "SCT", "Anatomical Structure")
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=i + 1,
            segment_label=label,
            segmented_property_category=organ,
            segmented_property_type=hd.sr.CodedConcept("10200004", "SCT", "Liver"),
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for i, label in enumerate(masks_by_label)
    ]
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=np.stack(list(masks_by_label.values()), -1).astype(np.uint8),
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=generate_uid(),
        series_number=9,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="labelhub tests",
        manufacturer_model_name="test",
        software_versions="1",
        device_serial_number="1",
        omit_empty_frames=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    seg.save_as(path)


def test_a_seg_covering_some_slices_gives_masks_on_those_slices_only(tmp_path: Path) -> None:
    write_series(tmp_path / "ct", slices=4, rows=6, cols=5)
    tumour = np.zeros((4, 6, 5), dtype=bool)  # (slice from the feet up, row, column) of the DICOM pixel arrays
    tumour[1, 1:3, 1:4] = True
    tumour[2, 2, 2] = True
    vessel = np.zeros((4, 6, 5), dtype=bool)
    vessel[2, 4, 0] = True
    write_seg(tmp_path / "seg" / "two.dcm", tmp_path / "ct", {"Tumour": tumour, "Vessel": vessel})
    write_seg(tmp_path / "seg" / "one.dcm", tmp_path / "ct", {"Cyst": vessel[::-1]})  # a single frame
    got = read_dicom(tmp_path)
    assert got.problems == [] and got.labels == ["Cyst", "Tumour", "Vessel"]
    [item] = got.items
    shown = {(a.label, a.frame): mask_array(a.geometry) for a in item.annotations}
    assert sorted(shown) == [("Cyst", 1), ("Tumour", 1), ("Tumour", 2), ("Vessel", 2)]
    for (label, k), mask in shown.items():
        expected = {"Tumour": tumour, "Vessel": vessel, "Cyst": vessel[::-1]}[label][k]
        np.testing.assert_array_equal(mask != 0, expected)
    # The SEG's series went missing: a Problem naming the SEG.
    shutil.rmtree(tmp_path / "ct")
    got = read_dicom(tmp_path / "seg")
    assert got.items == [] and [p.split(":")[0] for p in got.problems] == ["one.dcm", "two.dcm"]
    assert all("which is not in the source" in p for p in got.problems)


def write_nrrd(path: Path, data: np.ndarray, **fields: object) -> None:
    """Write a label map on the grid of ``write_series``' default series (LPS, origin (-10, -20, 0) mm)."""
    header = {
        "space": "left-posterior-superior",
        "space directions": np.diag([0.5, 0.5, 2.0]),
        "space origin": np.array([-10.0, -20.0, 0.0]),
        **fields,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nrrd.write(str(path), data, header)


def test_nrrd_values_are_named_by_stem_and_value_or_by_3d_slicer_segment_names(tmp_path: Path) -> None:
    write_series(tmp_path / "ct", slices=4, rows=6, cols=5)
    organs = np.zeros((5, 6, 4), dtype=np.uint8)  # (column, row, slice from the feet up)
    organs[1, 2, 0] = 1
    organs[3, 4, 3] = 2
    write_nrrd(tmp_path / "labels" / "organs.nrrd", organs)
    write_nrrd(
        tmp_path / "labels" / "case.seg.nrrd",
        organs,
        Segment0_Name="kidney",
        Segment0_LabelValue="2",
    )
    got = read_dicom(tmp_path / "ct", labels_dir="../labels")
    assert got.problems == []
    assert got.labels == ["case_1", "kidney", "organs_1", "organs_2"]
    [item] = got.items
    shown = {(a.label, a.frame): np.argwhere(mask_array(a.geometry)).tolist() for a in item.annotations}
    # Voxel (column i, row j, slice k) of the LPS label map is row j, column i of shown slice k.
    assert shown == {
        ("organs_1", 0): [[2, 1]],
        ("case_1", 0): [[2, 1]],
        ("organs_2", 3): [[4, 3]],
        ("kidney", 3): [[4, 3]],
    }
