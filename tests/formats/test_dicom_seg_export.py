"""DICOM-SEG export of volume items: the real dcmqi CT case and its SEG there and back, and the refusals.

The case (see test_dicom_seg.py): ct_dicom/{01,02,03}.dcm at z = -126.69, -127.69, -128.69 mm, so file order is
the reverse of the volume's slice order (slice 0 is 03.dcm); its NRRD maps and its liver SEG give 12 masks.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import highdicom as hd
import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient
from pydicom import dcmread
from pydicom.dataset import Dataset
from tests.api._support import API, create_project, run_jobs
from tests.formats._dicom_support import read_dicom, write_series
from tests.formats.test_dicom_seg import masks

from labelhub.domain.enums import AnnotationKind, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.domain.schema import PALETTE
from labelhub.errors import FormatError
from labelhub.formats import ExportItem, ExportOptions, get_format
from labelhub.formats._volume_masks import mask_array, mask_geometry
from labelhub.formats.dicom import DicomSegExporter
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source

SYSTEM = Actor.system()


def export(dest: Path, items: list[ItemRecord], labels: list[str], **extra: str) -> DicomSegExporter:
    with DicomSegExporter(dest, labels, ExportOptions(extra=dict(extra))) as exporter:
        for rec in items:
            exporter.write(ExportItem(rec))
    return exporter


def source_files(folder: Path) -> dict[str, Dataset]:
    """The folder's DICOM headers by SOP Instance UID."""
    out = {}
    for p in sorted(folder.glob("*.dcm")):
        ds = dcmread(p, stop_before_pixels=True)
        out[str(ds.SOPInstanceUID)] = ds
    return out


def position(ds: Dataset) -> list[float]:
    return [float(v) for v in ds.ImagePositionPatient]


def frames_by_segment(seg: Dataset, sources: dict[str, Dataset]) -> dict[tuple[int, str], np.ndarray]:
    """The SEG's frames by (segment number, referenced SOP Instance UID), checking each frame's position is that
    of the file it references."""
    pixels = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns)
    out = {}
    for i, group in enumerate(seg.PerFrameFunctionalGroupsSequence):
        number = int(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        sop = str(group.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
        out[number, sop] = pixels[i]
        assert position(group.PlanePositionSequence[0]) == pytest.approx(position(sources[sop]), abs=1e-3)
    return out


def test_the_ct_case_exports_one_seg_that_imports_back_to_the_same_masks(case: Path, tmp_path: Path) -> None:
    got = read_dicom(case, media="none")
    [item] = got.items
    labels = got.labels  # Liver (the SEG's), heart, liver, spine (the NRRD maps')
    exporter = export(tmp_path / "out", [item], labels, source_dir=str(case / "ct_dicom"), project_name="ct3")
    assert exporter.tally.annotations == 12 and exporter.tally.skipped == {}
    uid = item.meta["volume"]["series_uid"]
    seg = dcmread(tmp_path / "out" / "segmentations" / f"{uid}.dcm")
    manifest = orjson.loads((tmp_path / "out" / "segmentations.json").read_bytes())
    assert manifest["empty"] == [] and manifest["name"] == "ct3"
    [entry] = manifest["segmentations"]
    assert (entry["item"], entry["series_uid"], entry["frames"]) == ("ct_dicom", uid, 12)
    assert [(s["number"], s["label"], s["color"]) for s in entry["segments"]] == [
        (n, label, PALETTE[n - 1]) for n, label in enumerate(labels, start=1)
    ]
    # What a viewer reads: four manual segments of the CT's series and study, 4 x 3 frames.
    sources = source_files(case / "ct_dicom")
    assert seg.Modality == "SEG" and seg.SegmentationType == "BINARY" and int(seg.NumberOfFrames) == 12
    assert [(int(s.SegmentNumber), s.SegmentLabel, s.SegmentAlgorithmType) for s in seg.SegmentSequence] == [
        (n, label, "MANUAL") for n, label in enumerate(labels, start=1)
    ]
    [ref] = seg.ReferencedSeriesSequence
    assert ref.SeriesInstanceUID == uid and seg.StudyInstanceUID == item.meta["volume"]["study_uid"]
    assert {str(r.ReferencedSOPInstanceUID) for r in ref.ReferencedInstanceSequence} == set(sources)
    assert seg.FrameOfReferenceUID == next(iter(sources.values())).FrameOfReferenceUID
    # Each frame lies on the file it references, and holds the mask of that file's slice: slice k of the
    # volume is the k-th file from the feet up (03.dcm first), and for this axial series the shown slice is
    # the DICOM pixel array.
    by_height = sorted(sources, key=lambda sop: position(sources[sop])[2])
    frames = frames_by_segment(seg, sources)
    assert len(frames) == 12
    for n, label in enumerate(labels, start=1):
        for k, mask in sorted(masks(item, label).items()):
            np.testing.assert_array_equal(frames[n, by_height[k]], mask)
    assert Path(sources[by_height[0]].filename).name == "03.dcm"
    # The true round trip: the series with the exported SEG as its labels_dir gives the same masks again.
    back = read_dicom(case / "ct_dicom", media="none", labels_dir=str(tmp_path / "out" / "segmentations"))
    assert back.problems == [] and back.labels == labels
    [again] = back.items
    for label in labels:
        before, after = masks(item, label), masks(again, label)
        assert sorted(before) == sorted(after) == [0, 1, 2]
        for k in before:
            np.testing.assert_array_equal(before[k], after[k])
    # The same masks give the same UIDs: an export repeated names the object once.
    export(tmp_path / "twice", [item], labels, source_dir=str(case / "ct_dicom"))
    twice = dcmread(tmp_path / "twice" / "segmentations" / f"{uid}.dcm", stop_before_pixels=True)
    assert (twice.SOPInstanceUID, twice.SeriesInstanceUID) == (seg.SOPInstanceUID, seg.SeriesInstanceUID)


def shown_mask(rows: int, cols: int, *cells: tuple[int, int]) -> dict[str, object]:
    plane = np.zeros((rows, cols), dtype=np.uint8)
    for r, c in cells:
        plane[r, c] = 1
    return mask_geometry(plane)


# Row and column cosines, and how the DICOM pixel array of a slice is the shown slice: (-1, 0, 0), (0, -1, 0)
# turn it 180 degrees; (1, 0, 0), (0, -1, 0) put posterior on top and the slice normal towards the feet, so the
# series is stacked head first and the volume's slices run the other way. Files are named against slice order.
@pytest.mark.parametrize(
    ("orientation", "as_pixels"),
    [
        ((-1, 0, 0, 0, -1, 0), (slice(None, None, -1), slice(None, None, -1))),
        ((1, 0, 0, 0, -1, 0), (slice(None, None, -1), slice(None))),
    ],
)
def test_series_in_other_orientations_map_shown_pixels_to_dicom_pixels_and_model_masks_are_semiautomatic(
    tmp_path: Path, orientation: tuple[int, ...], as_pixels: tuple[slice, slice]
) -> None:
    write_series(tmp_path / "ct", slices=4, rows=6, cols=5, orientation=orientation)
    [item] = read_dicom(tmp_path / "ct", media="none").items
    assert (item.width, item.height, item.frame_count) == (5, 6, 4)
    item.annotations = [
        AnnotationRecord(
            kind=AnnotationKind.MASK, label="tumour", geometry=shown_mask(6, 5, (0, 0), (1, 3)), frame=1, author="zoe"
        ),
        AnnotationRecord(
            kind=AnnotationKind.POLYGON,
            label="cyst",
            geometry={"points": [0.5, 4.5, 1.5, 4.5, 1.5, 5.5, 0.5, 5.5]},  # pixels (4..5, 0..1)
            frame=3,
            source=Source.MODEL,
            model_version="unet-7",
        ),
        # The tumour again two slices up: a segment with a gap between its frames.
        AnnotationRecord(
            kind=AnnotationKind.MASK, label="tumour", geometry=shown_mask(6, 5, (5, 4)), frame=3, author="amy"
        ),
        AnnotationRecord(
            kind=AnnotationKind.BOX,
            label="tumour",
            geometry={"x1": 0, "y1": 0, "x2": 2, "y2": 2},
            frame=0,
            author="zoe",  # not painted: does not count
        ),
    ]
    exporter = export(tmp_path / "out", [item], ["cyst", "tumour", "unused"], source_dir=str(tmp_path / "ct"))
    assert exporter.tally.annotations == 3 and exporter.tally.skipped == {"box": 1}
    seg = dcmread(next((tmp_path / "out" / "segmentations").glob("*.dcm")))
    # One mask each (the model's has no author): a tie, settled by name; the box is not in the SEG.
    assert str(seg.ContentCreatorName) == "amy"
    manifest = orjson.loads((tmp_path / "out" / "segmentations.json").read_bytes())
    assert manifest["segmentations"][0]["content_creator"] == "amy"
    cyst, tumour = seg.SegmentSequence
    assert (cyst.SegmentLabel, cyst.SegmentAlgorithmType, cyst.SegmentAlgorithmName) == (
        "cyst",
        "SEMIAUTOMATIC",
        "labelhub model",
    )
    [algorithm] = cyst.SegmentationAlgorithmIdentificationSequence
    assert (algorithm.AlgorithmVersion, algorithm.AlgorithmFamilyCodeSequence[0].CodeMeaning) == (
        "unet-7",
        "Artificial Intelligence",
    )
    assert (tumour.SegmentLabel, tumour.SegmentAlgorithmType) == ("tumour", "MANUAL")
    sources = source_files(tmp_path / "ct")
    by_height = sorted(sources, key=lambda sop: position(sources[sop])[2])
    frames = frames_by_segment(seg, sources)
    assert sorted((n, by_height.index(sop)) for n, sop in frames) == [(1, 3), (2, 1), (2, 3)]  # empty ones left out
    expected_tumour = np.zeros((6, 5), np.uint8)
    expected_tumour[[0, 1], [0, 3]] = 1
    np.testing.assert_array_equal(frames[2, by_height[1]], expected_tumour[as_pixels])
    expected_cyst = np.zeros((6, 5), np.uint8)
    expected_cyst[4:6, 0:2] = 1
    np.testing.assert_array_equal(frames[1, by_height[3]], expected_cyst[as_pixels])
    expected_top = np.zeros((6, 5), np.uint8)
    expected_top[5, 4] = 1
    np.testing.assert_array_equal(frames[2, by_height[3]], expected_top[as_pixels])
    back = read_dicom(tmp_path / "ct", media="none", labels_dir=str(tmp_path / "out"))
    assert back.problems == [] and back.labels == ["cyst", "tumour"]
    assert {(a.label, a.frame): mask_array(a.geometry).tolist() for a in back.items[0].annotations} == {
        ("cyst", 3): expected_cyst.tolist(),
        ("tumour", 1): expected_tumour.tolist(),
        ("tumour", 3): expected_top.tolist(),
    }


def volume(name: str, source: str, series_uid: str | None = None, masks_on: int | None = 0) -> ItemRecord:
    annotations = []
    if masks_on is not None:
        annotations.append(
            AnnotationRecord(kind=AnnotationKind.MASK, label="a", geometry=shown_mask(6, 5, (2, 2)), frame=masks_on)
        )
    meta = {"volume": {"source": source, "series_uid": series_uid}}
    return ItemRecord(kind=ItemKind.VOLUME, name=name, width=5, height=6, frame_count=4, meta=meta,
                      annotations=annotations)  # fmt: skip


def test_refusals_name_the_item_and_series_and_leave_nothing(tmp_path: Path) -> None:
    uid = write_series(tmp_path / "ct", slices=4, rows=6, cols=5)
    dest = tmp_path / "out"
    cases = [
        # A volume imported from NIfTI has no DICOM series to reference.
        ([volume("head.nii.gz", "nifti")], {"source_dir": str(tmp_path / "ct")},
         "item 'head.nii.gz' was imported from nifti, so there is no DICOM series"),
        # No source_dir: the series' files are needed.
        ([volume("ct", "dicom", uid)], {}, f"item 'ct' is DICOM series {uid}; a DICOM-SEG references"),
        # A source_dir without the series.
        ([volume("ct", "dicom", "1.2.3.4")], {"source_dir": str(tmp_path / "ct")},
         "item 'ct': its DICOM series 1.2.3.4 is not in"),
        # The series on another grid than the volume (a slice gone since the import).
        ([volume("ct", "dicom", uid)], {"source_dir": str(tmp_path / "gone")}, None),
        # A good item first, then a bad one: the good one's file is not left behind either.
        ([volume("ct", "dicom", uid), volume("mr.nii", "nifti")], {"source_dir": str(tmp_path / "ct")},
         "item 'mr.nii' was imported from nifti"),
    ]  # fmt: skip
    (tmp_path / "gone").mkdir()
    for p in sorted((tmp_path / "ct").glob("*.dcm"))[:3]:
        (tmp_path / "gone" / p.name).write_bytes(p.read_bytes())
    for items, extra, message in cases:
        with pytest.raises(FormatError) as err:
            export(dest, items, ["a"], **extra)
        if message is None:
            message = f"item 'ct': series {uid} in {tmp_path / 'gone'} is not on the grid of the stored volume"
        assert message in err.value.detail
        assert err.value.context["item"] in {i.name for i in items}
        assert not dest.exists() and not list(tmp_path.glob(".out.*"))
    # A source folder that does not exist is refused before anything is written.
    with pytest.raises(FormatError, match=r"source_dir .*missing is not a folder") as err:
        export(dest, [volume("ct", "dicom", uid)], ["a"], source_dir=str(tmp_path / "missing"))
    assert err.value.context["field"] == "source_dir" and not dest.exists()


def test_a_volume_without_masks_is_listed_as_empty_and_needs_no_source(tmp_path: Path) -> None:
    exporter = export(tmp_path / "out", [volume("blank", "dicom", "1.2.3", masks_on=None)], ["a"])
    assert exporter.tally.annotations == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["segmentations.json"]
    manifest = orjson.loads((tmp_path / "out" / "segmentations.json").read_bytes())
    assert manifest["segmentations"] == [] and manifest["empty"] == ["blank"]


def test_the_dicom_format_imports_and_exports_and_reads_source_dir_only() -> None:
    spec = get_format("dicom")
    assert spec.exporter_class() is DicomSegExporter and spec.export_kinds == (ItemKind.VOLUME,)
    assert spec.export_options == ("source_dir",) and "import only" not in spec.title


def test_an_export_job_through_the_api_writes_the_class_colours_and_refuses_a_source_outside_the_roots(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], case: Path
) -> None:
    pid = create_project(client, admin_headers, "ct3", item_kind="volume")["id"]
    me = client.get(f"{API}/auth/me", headers=admin_headers).json()
    import_source(hub, Actor(user_id=me["id"], username=me["username"], is_admin=True), pid, case, fmt="dicom")
    project = client.get(f"{API}/projects/{pid}", headers=admin_headers).json()
    classes = project["label_schema"]["classes"]
    labels = [{"name": c["name"], "color": "#123456" if c["name"] == "heart" else c["color"]} for c in classes]
    r = client.patch(f"{API}/projects/{pid}", json={"version": project["version"], "labels": labels},
                     headers=admin_headers)  # fmt: skip
    assert r.status_code == 200, r.text
    body = {"format": "dicom", "options": {"source_dir": str(case / "ct_dicom")}}
    job = client.post(f"{API}/projects/{pid}/exports", json=body, headers=admin_headers)
    assert job.status_code == 202, job.text
    run_jobs(hub)
    r = client.get(f"{API}/jobs/{job.json()['id']}/download", headers=admin_headers)
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        [name] = [n for n in zf.namelist() if n.endswith(".dcm")]
        seg = dcmread(io.BytesIO(zf.read(name)))
        manifest = orjson.loads(zf.read(next(n for n in zf.namelist() if n.endswith("segmentations.json"))))
    assert int(seg.NumberOfFrames) == 12 and [s.SegmentLabel for s in seg.SegmentSequence] == [
        c["name"] for c in labels
    ]
    shown = {s.SegmentLabel: hd.color.CIELabColor.from_dicom_value(s.RecommendedDisplayCIELabValue).to_rgb()
             for s in seg.SegmentSequence}  # fmt: skip
    assert shown["heart"] == pytest.approx((0x12, 0x34, 0x56), abs=1)
    # The masks were imported by the administrator: the export names them as the SEG's content creator.
    assert str(seg.ContentCreatorName) == me["username"] == manifest["segmentations"][0]["content_creator"]
    assert [s["color"] for s in manifest["segmentations"][0]["segments"]] == [c["color"] for c in labels]
    # The source folder is a path on the server: it must lie inside LABELHUB_IMPORT_ROOTS, as an import's does.
    body = {"format": "dicom", "options": {"source_dir": "/etc"}}
    r = client.post(f"{API}/projects/{pid}/exports", json=body, headers=admin_headers)
    assert r.status_code == 403 and "LABELHUB_IMPORT_ROOTS" in r.text, r.text
