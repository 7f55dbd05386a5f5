"""An export job's zip is the same bytes every time the same data is exported: entries in sorted order with the
zip epoch as their time, whatever order the files were written in and whenever they were written."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.api._support import run_jobs
from tests.builders import coco_dict, new_project, write_dataset

from labelhub.errors import JobCancelled
from labelhub.hub import Hub
from labelhub.jobs.zip_export import zip_folder
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.services.jobs import enqueue
from labelhub.storage.models import Job

SYSTEM = Actor.system()
NAMES = ["b.png", "a.png", "c.png"]


def _export(hub: Hub, pid: int) -> dict[str, Any]:
    """Queue a COCO export with its images (what the export dialog sends) and run it; return the job's result."""
    params = {"format": "coco", "filename": "coco-export.json", "states": ["accepted"], "copy_media": True,
              "split": None, "seed": 0, "extra": {}}  # fmt: skip
    with hub.db.session(write=True) as s:
        job_id = enqueue(s, SYSTEM, "export", params, project_id=pid).id
    run_jobs(hub)
    with hub.db.session() as s:
        job = s.get_one(Job, job_id)
        assert job.status == "succeeded", job.error
        assert job.result is not None
        return dict(job.result)


def test_two_exports_of_the_same_project_are_the_same_zip(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "Same Twice")
    import_source(hub, SYSTEM, pid, write_dataset(tmp_path / "src", coco_dict(NAMES)))
    first, second = (Path(_export(hub, pid)["download"]) for _ in range(2))
    assert first != second and first.name == second.name == "same-twice-coco-export.zip"
    assert hashlib.sha256(first.read_bytes()).hexdigest() == hashlib.sha256(second.read_bytes()).hexdigest()

    with zipfile.ZipFile(first) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        files = [i for i in infos if not i.is_dir()]
        assert {i.external_attr >> 16 & 0o777 for i in files} == {0o644}
        json_name = next(n for n in names if n.endswith(".json"))
        coco = orjson.loads(zf.read(json_name))
        images = sorted(i["file_name"] for i in coco["images"])
        assert images == sorted(NAMES)
        folder = json_name.rpartition("annotations/")[0]
        assert [n for n in names if n.endswith(".png")] == [f"{folder}images/{n}" for n in images]
        assert len(coco["annotations"]) == 2 * len(NAMES)
        kinds = {i.filename.rsplit(".", 1)[-1]: i.compress_type for i in files}
        assert kinds == {"json": zipfile.ZIP_DEFLATED, "png": zipfile.ZIP_STORED}


def test_the_zip_does_not_depend_on_when_or_in_what_order_files_were_written(tmp_path: Path) -> None:
    def folder(root: Path, order: list[str], mtime: int) -> Path:
        for name in order:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"content of {name}\n")
            os.utime(path, (mtime, mtime))
        return root

    names = ["labels/z.txt", "labels/a.txt", "a-b/x.txt", "data.yaml", "empty/"]
    one = folder(tmp_path / "one", names[:-1], 1_700_000_000)
    (one / "empty").mkdir()
    two = folder(tmp_path / "two", names[-2::-1], 1_800_000_000)
    (two / "empty").mkdir()
    os.chmod(two / "data.yaml", 0o600)
    a, b = zip_folder(one, tmp_path / "one.zip"), zip_folder(two, tmp_path / "two.zip")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert zf.namelist() == ["a-b/", "a-b/x.txt", "data.yaml", "empty/", "labels/", "labels/a.txt",
                                 "labels/z.txt"]  # fmt: skip
        assert zf.read("labels/z.txt") == b"content of labels/z.txt\n"


def test_packing_reports_its_progress_and_a_cancel_leaves_no_zip(tmp_path: Path) -> None:
    src = tmp_path / "out"
    src.mkdir()
    for i in range(5):
        (src / f"{i}.txt").write_bytes(b"x" * 1000)
    seen: list[tuple[float, str]] = []
    zip_folder(src, tmp_path / "out.zip", lambda f, m: seen.append((f, m)))
    assert seen[0] == (0.0, "packing 5 files (5.0 kB) into a zip for download")
    assert [round(f, 2) for f, _ in seen[1:]] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert seen[3][1] == "packed 3 of 5 files (3.0 kB of 5.0 kB)"

    def cancel_at_third(fraction: float, message: str) -> None:
        if message.startswith("packed 3"):
            raise JobCancelled("job 1 was cancelled", field="cancel_requested")

    with pytest.raises(JobCancelled):
        zip_folder(src, tmp_path / "cancelled.zip", cancel_at_third)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "out.zip"]
