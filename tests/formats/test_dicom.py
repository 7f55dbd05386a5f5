"""DICOM series written with pydicom in the test: stacking, orientation, rescaling, names, and the Problems."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from pydicom.uid import JPEGLSLossless, generate_uid
from tests.formats._dicom_support import read_dicom, write_series, write_slice

from labelhub.domain.enums import ItemKind
from labelhub.domain.volume import display_slice
from labelhub.errors import FormatError
from labelhub.formats import ImportOptions, detect_format, get_format
from labelhub.formats.dicom import DicomImporter, detect


def test_slices_given_out_of_order_stack_by_position_and_show_as_the_dicom_pixels(tmp_path: Path) -> None:
    uid = write_series(tmp_path / "study" / "ct", slices=4, rows=6, cols=5)
    (tmp_path / "study" / "README").write_text("a CT of a phantom\n")
    (tmp_path / "study" / "ct" / "notes.json").write_text("{}")
    got = read_dicom(tmp_path / "study")
    assert got.problems == []
    [item] = got.items
    assert (item.kind, item.name, item.width, item.height, item.frame_count) == (ItemKind.VOLUME, "ct", 5, 6, 4)
    volume = item.meta["volume"]
    assert volume == {
        "modality": "CT",
        "spacing": [0.5, 0.5, 2.0],
        "window": {"center": 40.0, "width": 400.0},  # the first of the two the files name
        "source": "dicom",
        "study_uid": volume["study_uid"],
        "series_uid": uid,
        "series_description": "AX",
        "series_number": 1,
    }
    # No patient header is kept (the UIDs, random digits, are left out of the search: one held "1970" once).
    kept = str({**item.meta, "volume": {k: v for k, v in volume.items() if not k.endswith("_uid")}})
    assert "Doe" not in kept and "SECRET" not in kept and "1970" not in kept
    data = got.arrays[0]
    assert data is not None and data.dtype == np.int16
    # Axial LPS slices with identity cosines: the shown slice k is the DICOM pixel array of the k-th slice from
    # the feet up (rows top to bottom = anterior to posterior, columns = patient's right to left), in HU.
    for k in range(4):
        expected = np.tile(np.arange(5), (6, 1)) + 100 * k - 1024
        np.testing.assert_array_equal(display_slice(data, k), expected)


def test_a_single_slice_is_a_one_slice_volume_and_a_float_rescale_gives_float32(tmp_path: Path) -> None:
    write_series(tmp_path / "one", slices=1, slope=0.5, intercept=0.25)
    got = read_dicom(tmp_path / "one")
    [item] = got.items
    assert (item.width, item.height, item.frame_count) == (5, 6, 1)
    assert item.meta["volume"]["spacing"] == [0.5, 0.5, 2.0]  # the slice thickness
    data = got.arrays[0]
    assert data is not None and data.dtype == np.float32
    np.testing.assert_allclose(display_slice(data, 0)[0], np.arange(5) * 0.5 + 0.25)


def test_a_single_file_source_and_metadata_only(tmp_path: Path) -> None:
    write_series(tmp_path / "ct", slices=3)
    one = read_dicom(tmp_path / "ct" / "s0.dcm")
    assert [(i.name, i.frame_count) for i in one.items] == [("ct", 1)]
    bare = read_dicom(tmp_path / "ct", media="none")
    assert [(i.width, i.height, i.frame_count, i.media_path) for i in bare.items] == [(5, 6, 3, None)]


def test_a_sagittal_series_comes_out_in_ras_order(tmp_path: Path) -> None:
    # Rows run along -z (head to feet), columns along +y (posterior); slices along x.
    write_series(tmp_path / "sag", slices=3, rows=6, cols=5, orientation=(0, 1, 0, 0, 0, -1))
    got = read_dicom(tmp_path / "sag")
    [item] = got.items
    # RAS+: X = the 3 slices (left-right), Y = the 5 columns (anterior-posterior), Z = the 6 rows.
    assert (item.width, item.height, item.frame_count) == (3, 5, 6)
    assert item.meta["volume"]["spacing"] == [2.0, 0.5, 0.5]


def test_several_series_in_one_folder_are_named_by_number_and_description(tmp_path: Path) -> None:
    write_series(tmp_path / "mixed", slices=2, number=3, description="T1", names=["a1.dcm", "a2.dcm"])
    write_series(tmp_path / "mixed", slices=2, number=4, description="T2", names=["b1.dcm", "b2.dcm"])
    write_series(tmp_path / "other" / "deep", slices=2)
    got = read_dicom(tmp_path)
    assert got.problems == []
    assert [i.name for i in got.items] == ["mixed/series 3 T1", "mixed/series 4 T2", "other/deep"]


def test_a_slice_of_another_size_is_a_problem_naming_the_series_and_the_file(tmp_path: Path) -> None:
    uid = write_series(tmp_path / "ct", slices=4, rows=6, cols=5)
    write_slice(tmp_path / "ct" / "odd.dcm", np.zeros((7, 5), dtype=np.int16), series=uid, z=8.0)
    got = read_dicom(tmp_path / "ct")
    assert got.items == []
    assert got.problems == [f"odd.dcm: series {uid}: odd.dcm has size (Rows x Columns) 7x5, the other slices 6x5"]


def test_a_gap_and_two_slices_at_one_place_are_problems(tmp_path: Path) -> None:
    uid = write_series(tmp_path / "gap", slices=4)
    (tmp_path / "gap" / "s1.dcm").unlink()  # slice 2 of 0..3 (files are named in reverse)
    got = read_dicom(tmp_path / "gap")
    assert got.items == []
    assert got.problems == [
        f"s0.dcm: series {uid}: the gap between s2.dcm and s0.dcm is 4 mm, the usual one 2 mm (missing or extra "
        "slices?)"
    ]
    uid = write_series(tmp_path / "twice", slices=2)
    shutil.copy(tmp_path / "twice" / "s0.dcm", tmp_path / "twice" / "s9.dcm")
    got = read_dicom(tmp_path / "twice")
    assert got.problems == [f"s0.dcm: series {uid}: s0.dcm and s9.dcm lie at one position"]


def test_a_dcm_file_that_is_not_dicom_is_a_problem_other_files_are_passed_over(tmp_path: Path) -> None:
    write_series(tmp_path / "ct", slices=2)
    (tmp_path / "ct" / "broken.dcm").write_bytes(b"this is not dicom" * 20)
    (tmp_path / "ct" / "label.nrrd.txt").write_text("x")
    (tmp_path / "ct" / "LICENSE").write_text("free")
    got = read_dicom(tmp_path / "ct")
    assert [i.name for i in got.items] == ["ct"]
    assert len(got.problems) == 1 and got.problems[0].startswith("broken.dcm: broken.dcm is not a readable DICOM file")


def test_compressed_pixels_without_a_decoder_are_a_problem_naming_the_file_and_syntax(tmp_path: Path) -> None:
    write_slice(tmp_path / "ls" / "a.dcm", np.zeros((4, 4), np.int16), series=generate_uid(), z=0.0)
    # Mark the file as JPEG-LS (no decoder is installed): pydicom then cannot decode its pixels.
    from pydicom import dcmread
    from pydicom.encaps import encapsulate

    ds = dcmread(tmp_path / "ls" / "a.dcm")
    ds.file_meta.TransferSyntaxUID = JPEGLSLossless
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xf7" + b"\0" * 40])
    ds.save_as(tmp_path / "ls" / "a.dcm", enforce_file_format=True)
    got = read_dicom(tmp_path / "ls")
    assert got.items == []
    [problem] = got.problems
    assert problem.startswith("a.dcm: series ls: a.dcm: cannot decode its pixel data, stored as JPEG-LS Lossless")
    assert "1.2.840.10008.1.2.4.80" in problem
    # Metadata only reads no pixel: the series imports.
    assert [i.frame_count for i in read_dicom(tmp_path / "ls", media="none").items] == [1]


def test_detection_registry_and_refusals(tmp_path: Path) -> None:
    write_series(tmp_path / "ct", slices=2, names=["IM0001", "IM0002"])  # no suffix: found by the DICM mark
    assert detect(tmp_path) and detect(tmp_path / "ct" / "IM0001")
    assert not detect(tmp_path / "ct" / "missing") and not detect(Path(__file__))
    assert detect_format(tmp_path, ItemKind.VOLUME).name == "dicom"
    spec = get_format("dicom")
    assert spec.item_kinds == (ItemKind.VOLUME,) and spec.exporter == "DicomSegExporter"
    assert [i.name for i in read_dicom(tmp_path).items] == ["ct"]
    with pytest.raises(FormatError, match="cannot be linked in place"):
        DicomImporter(tmp_path, ImportOptions(media="link"))
    with pytest.raises(FormatError, match="labels_dir nowhere is not a folder"):
        DicomImporter(tmp_path, ImportOptions(extra={"labels_dir": "nowhere"}))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("nothing here")
    with pytest.raises(FormatError, match="no DICOM image series in"):
        DicomImporter(tmp_path / "empty", ImportOptions()).labels()


def test_the_temporary_volumes_are_removed_on_close(tmp_path: Path) -> None:
    write_series(tmp_path / "a", slices=2)
    write_series(tmp_path / "b", slices=2)
    importer = DicomImporter(tmp_path, ImportOptions())
    paths = []
    with importer:
        for rec in importer:
            assert not isinstance(rec, type(None)) and rec.media_path is not None  # type: ignore[union-attr]
            assert rec.media_path.is_file()  # type: ignore[union-attr]
            paths.append(rec.media_path)  # type: ignore[union-attr]
    assert len(paths) == 2 and not any(p.exists() for p in paths) and not paths[0].parent.exists()


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns about the damaged values it reads
def test_damaged_files_are_problems_or_a_refusal_naming_them_never_a_crash(tmp_path: Path) -> None:
    write_series(tmp_path / "good", slices=1)
    good = (tmp_path / "good" / "s0.dcm").read_bytes()
    rng = np.random.default_rng(7)
    variants = [good[:n] for n in (0, 100, 140, 400, 700, len(good) - 10)]
    for _ in range(24):
        damaged = bytearray(good)
        for at in rng.integers(132, len(good), size=int(rng.integers(1, 12))):
            damaged[int(at)] = int(rng.integers(0, 256))
        variants.append(bytes(damaged))
    for i, data in enumerate(variants):
        folder = tmp_path / f"case{i}"
        folder.mkdir()
        (folder / "x.dcm").write_bytes(data)
        try:
            got = read_dicom(folder)
        except FormatError as exc:
            assert exc.context["file"] == str(folder)
            continue
        assert got.problems or got.items, f"variant {i} gave nothing and said nothing"
        assert all(p.startswith("x.dcm: ") for p in got.problems), got.problems
