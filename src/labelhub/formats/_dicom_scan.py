"""Reading a DICOM source's headers: image files grouped by series, DICOM-SEG objects and NRRD label maps.

Every file below the source (and below ``labels_dir``) is looked at once, pixels unread: a file that is
plainly something else by its suffix is passed over, an NRRD file is read as a label map, a DICOM file by
pydicom (``stop_before_pixels``). Image files are grouped by ``SeriesInstanceUID`` and each series is stacked
(:func:`labelhub.formats._dicom_series.stack`); a series that does not stack is kept with its Problem, for the
importer to report in its place. Series are named by their folder (see :func:`_name`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from labelhub.domain.records import Problem
from labelhub.errors import FormatError
from labelhub.formats._common import media_refusal
from labelhub.formats._dicom_labels import (
    NRRD_SUFFIXES,
    LabelProblem,
    NrrdFile,
    SegFile,
    describe_grid,
    is_seg,
    nrrd_header,
    nrrd_matches,
    seg_header,
)
from labelhub.formats._dicom_series import (
    OTHER_SUFFIXES,
    READ_ERRORS,
    Series,
    SeriesProblem,
    as_slice,
    read_header,
    stack,
)
from labelhub.media.video import natural_key


def maybe_dicom(path: Path) -> bool:
    """True for a file that may be DICOM: not hidden and not of a suffix that is plainly something else."""
    return not path.name.startswith(".") and path.suffix.lower() not in OTHER_SUFFIXES


def has_preamble(path: Path) -> bool:
    """True when the file carries the DICM mark after its 128-byte preamble."""
    try:
        with path.open("rb") as fh:
            fh.seek(128)
            return fh.read(4) == b"DICM"
    except OSError:
        return False


@dataclass(slots=True)
class Scan:
    """What the headers of a source say: series, segmentations, label maps and the problems found."""

    series: list[Series] = field(default_factory=list)
    segs: list[SegFile] = field(default_factory=list)
    nrrds: list[NrrdFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    broken: dict[str, Problem] = field(default_factory=dict)  # series uid -> why it does not stack
    segs_of: dict[str, list[SegFile]] = field(default_factory=dict)  # series uid -> its DICOM-SEG objects
    nrrds_of: dict[str, list[NrrdFile]] = field(default_factory=dict)  # series uid -> its NRRD label maps


def _files(source: Path, labels_dir: Path | None) -> Iterator[Path]:
    roots = [source]
    if labels_dir is not None and not labels_dir.is_relative_to(source.resolve()):
        roots.append(labels_dir)
    for root in roots:
        if root.is_file():
            yield root
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in sorted(filenames, key=natural_key):
                yield Path(dirpath) / f


def scan_source(source: Path, labels_dir: Path | None) -> Scan:
    """Read every header once (pixels unread); group the image files by series and stack each series."""
    scan = Scan()
    by_uid: dict[str, Series] = {}
    for path in _files(source, labels_dir):
        if not maybe_dicom(path) and not path.name.lower().endswith(NRRD_SUFFIXES):
            continue
        refused = media_refusal(path)
        if refused is not None:
            scan.problems.append(Problem(refused, file=str(path)))
            continue
        if not path.is_file():  # a FIFO or a device: a read would block or never end (a dangling link: named)
            what = "a link to nothing" if not path.exists() else "not a regular file (a FIFO or a device)"
            scan.problems.append(Problem(f"{path.name} is {what}", file=str(path)))
            continue
        if path.name.lower().endswith(NRRD_SUFFIXES):
            try:
                scan.nrrds.append(nrrd_header(path))
            except LabelProblem as exc:
                scan.problems.append(Problem(str(exc), file=str(path)))
            continue
        _read_one(path, scan, by_uid)
    for series in by_uid.values():
        if not series.slices:
            continue  # every file of it failed as_slice: scan.broken says why
        try:
            stack(series)
        except SeriesProblem as exc:
            scan.broken[series.uid] = Problem(exc.message, file=str(exc.file))
        except READ_ERRORS as exc:
            first = series.slices[0].path
            why = f"series {series.uid}: {first.name} has a damaged header: {_why(exc)}"
            scan.broken[series.uid] = Problem(why, file=str(first))
    scan.series = list(by_uid.values())
    _name(scan.series, source if source.is_dir() else source.parent)
    scan.series.sort(key=lambda s: natural_key(s.name))
    _assign(scan)
    if not scan.series and not scan.problems:
        where = f"{source} or {labels_dir}" if labels_dir is not None else str(source)
        raise FormatError(f"no DICOM image series in {where}", file=str(source))
    return scan


def _read_one(path: Path, scan: Scan, by_uid: dict[str, Series]) -> None:
    try:
        ds = read_header(path)
    except READ_ERRORS as exc:
        scan.problems.append(Problem(f"{path.name} is not a readable DICOM file: {_why(exc)}", file=str(path)))
        return
    if ds is None:
        return  # not DICOM, and not named as DICOM either: another kind of file
    if is_seg(ds):
        try:
            scan.segs.append(seg_header(path, ds))
        except LabelProblem as exc:
            scan.problems.append(Problem(str(exc), file=str(path)))
        except READ_ERRORS as exc:
            scan.problems.append(Problem(f"DICOM-SEG {path.name} has a damaged header: {_why(exc)}", file=str(path)))
        return
    modality = str(ds.get("Modality", ""))
    if modality in ("RTSTRUCT", "RTSS"):
        msg = f"{path.name} is an RT structure set, which is not read; convert it to DICOM-SEG (e.g. with dcmqi)"
        scan.problems.append(Problem(msg, file=str(path)))
        return
    if "Rows" not in ds or "SeriesInstanceUID" not in ds:
        sop_class = ds.get("SOPClassUID")
        if sop_class is not None and "Image Storage" in str(getattr(sop_class, "name", "")):
            missing = "Rows" if "Rows" not in ds else "SeriesInstanceUID"
            msg = f"{path.name} is a {sop_class.name} without {missing}: damaged or cut short"
            scan.problems.append(Problem(msg, file=str(path)))
        return  # no image: a DICOMDIR, a structured report, a presentation state
    uid = str(ds.SeriesInstanceUID)
    series = by_uid.setdefault(uid, Series(uid))
    try:
        series.slices.append(as_slice(path, ds))
    except SeriesProblem as exc:
        scan.broken.setdefault(uid, Problem(f"series {uid}: {exc.message}", file=str(exc.file)))


def _name(all_series: list[Series], root: Path) -> None:
    """Name each series by its folder, adding its number and description where a folder holds several."""
    folders: dict[str, list[Series]] = {}
    for series in all_series:
        parents = [s.path.parent for s in series.slices] or [root]
        common = Path(os.path.commonpath([str(p) for p in parents]))
        try:
            rel = common.relative_to(root).as_posix()
        except ValueError:
            rel = common.name  # a series found in labels_dir
        folder = root.name if rel == "." else rel
        folders.setdefault(folder, []).append(series)
    for folder, group in folders.items():
        if len(group) == 1:
            group[0].name = folder
            continue
        for series in group:
            tag = " ".join(t for t in (series.number, series.description) if t) or series.uid[-8:]
            series.name = f"{folder}/series {tag}"
        counts: dict[str, int] = {}
        for series in group:
            counts[series.name] = counts.get(series.name, 0) + 1
        for series in group:
            if counts[series.name] > 1:
                series.name = f"{series.name} {series.uid[-8:]}"


def _assign(scan: Scan) -> None:
    """Give each DICOM-SEG the series it references and each NRRD label map the series whose grid it has; the
    others are Problems naming the file (a SEG whose series is missing, a map that fits no series or several)."""
    known = {s.uid: s for s in scan.series if s.uid not in scan.broken}
    for seg in scan.segs:
        uid = next((u for u in seg.series_uids if u in known), None)
        if uid is None:
            missing = ", ".join(seg.series_uids)
            why = "could not be read" if any(u in scan.broken for u in seg.series_uids) else "is not in the source"
            msg = f"DICOM-SEG {seg.path.name} segments series {missing}, which {why}"
            scan.problems.append(Problem(msg, file=str(seg.path)))
            continue
        scan.segs_of.setdefault(uid, []).append(seg)
    for label in scan.nrrds:
        fits = [s for s in known.values() if nrrd_matches(label, s)]
        if len(fits) != 1:
            why = "no series" if not fits else f"several series ({', '.join(s.name for s in fits)})"
            msg = f"NRRD label map {label.path.name} ({describe_grid(label)}) fits the grid of {why}"
            scan.problems.append(Problem(msg, file=str(label.path)))
            continue
        scan.nrrds_of.setdefault(fits[0].uid, []).append(label)


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
