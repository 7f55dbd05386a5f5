"""Symbolic links inside a dataset (QA security finding 2): every media file an import resolves is held to the rule
an import's ``source`` is held to. Its real path must lie inside LABELHUB_IMPORT_ROOTS and outside LABELHUB_HOME;
a file elsewhere is a problem of the import naming the file and where its link leads, and is never read. A link
that stays inside the roots keeps working. The test server's roots are ``tmp_path`` and the shared data; its home
is ``tmp_path/home``; ``tmp_path_factory.mktemp`` folders lie outside both."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, create_project, run_jobs
from tests.builders import new_project

from labelhub.domain.enums import ItemKind
from labelhub.errors import ImportValidationError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Item

SYSTEM = Actor.system()
MakeImage = Callable[..., Path]


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, make_image: MakeImage) -> Path:
    """An image outside every import root (and outside the home)."""
    secret = make_image(tmp_path_factory.mktemp("outside") / "secret.png", 17, 13)
    assert not secret.is_relative_to(tmp_path)
    return secret


def _names(hub: Hub, pid: int) -> list[str]:
    with hub.db.session() as s:
        return sorted(s.scalars(select(Item.name).where(Item.project_id == pid)))


def _dataset(root: Path, make_image: MakeImage, outside: Path) -> Path:
    """An image folder in a root: a plain image, a link to an image elsewhere in the roots, a link outside."""
    ds = root / "symds"
    make_image(ds / "cls" / "plain.png")
    elsewhere = make_image(root / "shared-pool" / "pooled.png", 30, 20)
    (ds / "cls" / "inside.png").symlink_to(elsewhere)
    (ds / "cls" / "link.png").symlink_to(outside)
    return ds


@pytest.mark.parametrize("media", ["copy", "link"])
def test_a_link_out_of_the_roots_is_skipped_naming_where_it_leads(
    hub: Hub, tmp_path: Path, make_image: MakeImage, outside: Path, media: str
) -> None:
    ds = _dataset(tmp_path, make_image, outside)
    pid = new_project(hub, "links", ItemKind.IMAGE)
    options = ImportOptions(media=media, skip_invalid=True)  # type: ignore[arg-type]
    report = import_source(hub, SYSTEM, pid, ds, fmt="image_folder", options=options)
    assert report.items_added == 2 and _names(hub, pid) == ["cls/inside.png", "cls/plain.png"]
    [problem] = report.skipped
    link = ds / "cls" / "link.png"
    assert problem["file"] == str(link)
    assert (
        f"{link} is not inside an allowed import folder (it is a link to {outside}, which is not)" in problem["message"]
    )
    # Without skip_invalid the whole import is refused, and the message says the same.
    other = new_project(hub, "strict", ItemKind.IMAGE)
    with pytest.raises(ImportValidationError, match="is a link to") as err:
        import_source(hub, SYSTEM, other, ds, fmt="image_folder", options=ImportOptions(media=media))  # type: ignore[arg-type]
    assert str(outside) in err.value.detail and _names(hub, other) == []


def test_a_link_into_labelhub_s_home_is_refused(hub: Hub, tmp_path: Path, make_image: MakeImage) -> None:
    stored = make_image(hub.settings.home / "exports" / "job-1" / "someone-else.png")
    ds = tmp_path / "ds"
    make_image(ds / "ok.png")
    (ds / "theirs.png").symlink_to(stored)
    pid = new_project(hub, "home", ItemKind.IMAGE)
    report = import_source(hub, SYSTEM, pid, ds, fmt="image_folder", options=ImportOptions(skip_invalid=True))
    assert _names(hub, pid) == ["ok.png"]
    [problem] = report.skipped
    assert "inside labelhub's own data folder" in problem["message"] and str(stored) in problem["message"]


def test_coco_file_names_are_checked_where_their_links_lead(
    hub: Hub, tmp_path: Path, make_image: MakeImage, outside: Path
) -> None:
    ds = tmp_path / "coco"
    make_image(ds / "images" / "a.png", 17, 13)
    (ds / "images").joinpath("b.png").symlink_to(outside)
    images = [{"id": i, "file_name": n, "width": 17, "height": 13} for i, n in ((1, "a.png"), (2, "b.png"))]
    doc = {"images": images, "annotations": [], "categories": [{"id": 1, "name": "cat"}]}
    (ds / "annotations.json").write_text(json.dumps(doc))
    pid = new_project(hub, "coco", ItemKind.IMAGE)
    options = ImportOptions(skip_invalid=True, images_dir=ds / "images")
    report = import_source(hub, SYSTEM, pid, ds / "annotations.json", fmt="coco", options=options)
    assert _names(hub, pid) == ["a.png"]
    assert any(f"it is a link to {outside}" in p["message"] for p in report.skipped), report.skipped


def test_a_frames_folder_with_a_frame_linked_out_is_refused(
    hub: Hub, tmp_path: Path, make_image: MakeImage, outside: Path
) -> None:
    seq = tmp_path / "clips" / "walk"
    for n in (1, 2):
        make_image(seq / f"{n:04d}.png", 17, 13)
    (seq / "0003.png").symlink_to(outside)
    pid = new_project(hub, "frames", ItemKind.VIDEO)
    report = import_source(hub, SYSTEM, pid, tmp_path / "clips", fmt="video", options=ImportOptions(skip_invalid=True))
    assert report.items_added == 0 and _names(hub, pid) == []
    assert any(p["file"] == str(seq / "0003.png") and "is a link to" in p["message"] for p in report.skipped)


def test_a_source_the_api_would_refuse_is_not_held_to_the_roots(
    hub: Hub, tmp_path_factory: pytest.TempPathFactory, make_image: MakeImage, outside: Path
) -> None:
    """The CLI imports a folder of its own machine (outside every root): its links are the operator's own."""
    ds = tmp_path_factory.mktemp("cli-folder")
    make_image(ds / "own.png")
    (ds / "linked.png").symlink_to(outside)
    pid = new_project(hub, "cli", ItemKind.IMAGE)
    report = import_source(hub, SYSTEM, pid, ds, fmt="image_folder")
    assert report.items_added == 2 and report.skipped == []


def test_the_api_import_job_reports_the_link_and_an_upload_still_imports(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, make_image: MakeImage, outside: Path
) -> None:
    ds = _dataset(tmp_path, make_image, outside)
    pid = create_project(client, admin_headers, "qa", item_kind="image")["id"]
    body = {"source": str(ds), "format": "image_folder", "media": "link", "skip_invalid": True}
    r = client.post(f"{API}/projects/{pid}/imports", json=body, headers=admin_headers)
    assert r.status_code == 202, r.text
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()
    assert job["status"] == "succeeded", job
    assert job["result"]["items_added"] == 2 and job["result"]["skipped_count"] == 1
    assert f"it is a link to {outside}" in job["result"]["skipped"][0]["message"]
    items = client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]
    assert sorted(i["name"] for i in items) == ["cls/inside.png", "cls/plain.png"]

    # An uploaded zip (which holds no links) lives inside the home, in its upload folder: it imports as before.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(make_image(tmp_path / "z" / "cat" / "one.png"), "ds/cat/one.png")
        zf.write(make_image(tmp_path / "z" / "dog" / "two.png"), "ds/dog/two.png")
    up = create_project(client, admin_headers, "upload", item_kind="image")["id"]
    files = {"file": ("ds.zip", buf.getvalue(), "application/zip")}
    r = client.post(f"{API}/projects/{up}/uploads", files=files, data={"format": "image_folder"}, headers=admin_headers)
    assert r.status_code == 202, r.text
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()
    assert job["status"] == "succeeded" and job["result"]["items_added"] == 2, job


def test_a_link_to_an_import_s_work_folder_is_still_refused(hub: Hub, tmp_path: Path, make_image: MakeImage) -> None:
    """Formats unpack shards into ``labelhub-*`` folders of the system's temporary folder, and read them there;
    a link from a dataset into such a folder (another import's files) is refused all the same."""
    work = Path(tempfile.mkdtemp(prefix="labelhub-wds-"))
    try:
        theirs = make_image(work / "000000001.png")
        ds = tmp_path / "ds"
        make_image(ds / "ok.png")
        (ds / "theirs.png").symlink_to(theirs)
        pid = new_project(hub, "work", ItemKind.IMAGE)
        report = import_source(hub, SYSTEM, pid, ds, fmt="image_folder", options=ImportOptions(skip_invalid=True))
        assert _names(hub, pid) == ["ok.png"]
        assert f"it is a link to {theirs.resolve()}" in report.skipped[0]["message"], report.skipped
    finally:
        shutil.rmtree(work)
