"""Import and export options through the API: splits, format options, and paths outside the allowed roots."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, quick_user, run_jobs
from tests.conftest import data_path

from labelhub.hub import Hub


def test_import_job_assigns_a_seeded_split(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> None:
    pid = create_project(client, admin_headers, "split", item_kind="image")["id"]
    body = {"source": str(data_path("detection_coco128")), "media": "none", "split": "0.5/0.5", "seed": 11}
    r = client.post(f"{API}/projects/{pid}/imports", json=body, headers=admin_headers)
    assert r.status_code == 202, r.text
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()
    assert job["status"] == "succeeded", job
    items = client.get(f"{API}/projects/{pid}/items?limit=500", headers=admin_headers).json()["items"]
    counts = Counter(i["split"] for i in items)
    assert set(counts) == {"train", "val"} and counts["train"] + counts["val"] == 128


def test_bad_split_is_refused_before_a_job_starts(client: TestClient, admin_headers: dict[str, str]) -> None:
    pid = create_project(client, admin_headers, "bad", item_kind="image")["id"]
    body = {"source": str(data_path("detection_coco128")), "split": "0.5/x"}
    assert_problem(client.post(f"{API}/projects/{pid}/imports", json=body, headers=admin_headers), 422, field="split")
    body = {"format": "coco", "split": "train"}
    assert_problem(client.post(f"{API}/projects/{pid}/exports", json=body, headers=admin_headers), 422, field="split")
    assert client.get(f"{API}/jobs", headers=admin_headers).json() == []


def test_path_options_must_stay_inside_the_import_roots(client: TestClient, admin_headers: dict[str, str]) -> None:
    pid = create_project(client, admin_headers, "paths", item_kind="image")["id"]
    src = str(data_path("detection_coco128"))
    for options, field in (
        ({"labels_dir": "/etc"}, "options.labels_dir"),
        ({"report_path": "/tmp/x"}, "options.report_path"),
    ):
        r = client.post(
            f"{API}/projects/{pid}/imports", json={"source": src, "options": options}, headers=admin_headers
        )
        problem = assert_problem(r, 403, field=field)
        assert "LABELHUB_IMPORT_ROOTS" in problem["detail"] or "server" in problem["detail"]
    r = client.post(f"{API}/projects/{pid}/imports", json={"source": src, "images_dir": "/etc"}, headers=admin_headers)
    assert_problem(r, 403, field="images_dir")  # the refused path's own field (QA security 8), not "source"
    inside = {"labels_dir": str(data_path("detection_coco128") / "labels_yolo")}
    r = client.post(f"{API}/projects/{pid}/imports", json={"source": src, "options": inside}, headers=admin_headers)
    assert r.status_code == 202, r.text


def test_a_link_inside_the_roots_to_a_file_outside_says_where_it_leads(
    client: TestClient, admin_headers: dict[str, str], tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "coco.json"
    outside.write_text("{}")
    assert not outside.is_relative_to(tmp_path)
    link = tmp_path / "coco-link.json"  # tmp_path is one of the test server's import roots
    link.symlink_to(outside)
    pid = create_project(client, admin_headers, "links", item_kind="image")["id"]
    r = client.post(f"{API}/projects/{pid}/imports", json={"source": str(link)}, headers=admin_headers)
    problem = assert_problem(r, 403, field="source")
    assert f"(it is a link to {outside}, which is not)" in problem["detail"], problem


def test_formats_list_what_their_export_writes_and_a_misfit_export_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    formats = {f["name"]: f for f in client.get(f"{API}/formats", headers=admin_headers).json()}
    assert formats["coco"]["item_kinds"] == ["image"] and formats["coco"]["export_kinds"] == ["image", "video"]
    assert formats["mot"]["export_kinds"] == ["video"]
    assert formats["coco_captions"]["export_kinds"] == []  # import only
    pid = create_project(client, admin_headers, "images", item_kind="image")["id"]
    r = client.post(f"{API}/projects/{pid}/exports", json={"format": "mot"}, headers=admin_headers)
    problem = assert_problem(r, 422, field="format")
    assert "does not export image items" in problem["detail"] and "coco" in problem["detail"]
    assert "mot" not in problem["detail"].split("formats that do:")[1]
    assert client.get(f"{API}/jobs", headers=admin_headers).json() == []


def test_labelhub_s_own_data_folder_is_never_read_by_path(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """Here, as in a natural set-up (``/data`` a root, ``/data/labelhub`` the home), the home lies inside an import
    root: another project's manager could import its exports by their guessable path. The home is refused
    outright, through a link too, and for path options and model files as well."""
    assert hub.settings.home.is_relative_to(tmp_path) and tmp_path in hub.settings.import_roots
    secret = create_project(client, admin_headers, "secret", item_kind="image")["id"]
    body = {"source": str(data_path("detection_coco128")), "media": "none"}
    r = client.post(f"{API}/projects/{secret}/imports", json=body, headers=admin_headers)
    assert r.status_code == 202, r.text
    r = client.post(f"{API}/projects/{secret}/exports", json={"format": "coco"}, headers=admin_headers)
    run_jobs(hub)
    export = Path(client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()["result"]["dest"])
    assert export.is_file() and export.is_relative_to(hub.settings.home)

    _, outsider = quick_user(hub, "outsider")
    own = create_project(client, outsider, "mine", item_kind="image")["id"]
    link = tmp_path / "looks-harmless.json"
    link.symlink_to(export)
    for source in (str(export), str(link), str(hub.settings.home)):
        r = client.post(f"{API}/projects/{own}/imports", json={"source": source}, headers=outsider)
        assert "inside labelhub's own data folder" in assert_problem(r, 403, field="source")["detail"]
    body = {"source": str(data_path("detection_coco128")), "options": {"labels_dir": str(export.parent)}}
    r = client.post(f"{API}/projects/{own}/imports", json=body, headers=outsider)
    assert_problem(r, 403, field="options.labels_dir")
    r = client.post(f"{API}/projects/{own}/models/register",
                    json={"kind": "onnx_detector", "name": "x", "path": str(export)}, headers=outsider)  # fmt: skip
    assert_problem(r, 403, field="path")
    assert client.get(f"{API}/projects/{own}/items", headers=outsider).json()["items"] == []
    assert client.get(f"{API}/jobs?project_id={own}", headers=outsider).json() == []


# ----------------------------------------------------------------------------------------- QA formats findings


def _zip_of(entries: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _dataset_zip(tmp_path: Path, top: str = "ds/") -> dict[str, bytes]:
    from tests.builders import coco_dict, write_dataset

    root = tmp_path / "zipped"
    write_dataset(root, coco_dict(["a.png", "b.png"]))
    return {top + p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_an_uploaded_dataset_folder_imports_its_annotations_and_the_upload_is_removed_either_way(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "zipped", item_kind="image")["id"]
    data = _zip_of(_dataset_zip(tmp_path))
    r = client.post(f"{API}/projects/{pid}/uploads", files={"file": ("ds.zip", data, "application/zip")},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 202, r.text
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()
    assert job["status"] == "succeeded", job
    assert (job["result"]["format"], job["result"]["annotations_added"]) == ("coco", 4)
    assert list(hub.settings.uploads_dir.iterdir()) == []  # imported: the upload is gone

    bad = _dataset_zip(tmp_path)
    bad["ds/ann.json"] = bad["ds/ann.json"].replace(b'"category_id": 7', b'"category_id": 99')
    r = client.post(f"{API}/projects/{pid}/uploads", files={"file": ("bad.zip", _zip_of(bad), "application/zip")},
                    headers=admin_headers)  # fmt: skip
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()
    assert job["status"] == "failed", job
    # A failed import removes its upload too (QA ops 10): the import dialog keeps the file and sends it again to retry.
    assert list(hub.settings.uploads_dir.iterdir()) == []


def test_a_zip_with_a_member_twice_is_refused_naming_it(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    import io
    import zipfile

    pid = create_project(client, admin_headers, "dup", item_kind="image")["id"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in _dataset_zip(tmp_path, top="").items():
            zf.writestr(name, data)
        zf.writestr("images/a.png", b"not an image, duplicate member")
    r = client.post(f"{API}/projects/{pid}/uploads", files={"file": ("dup.zip", buf.getvalue(), "application/zip")},
                    headers=admin_headers)  # fmt: skip
    assert "appears twice" in assert_problem(r, 422, field="images/a.png")["detail"]
    assert list(hub.settings.uploads_dir.iterdir()) == []


def test_unknown_format_options_are_refused_naming_the_key(client: TestClient, admin_headers: dict[str, str]) -> None:
    pid = create_project(client, admin_headers, "opts", item_kind="image")["id"]
    body = {"source": str(data_path("detection_coco128")), "options": {"bogus": "1"}}
    r = client.post(f"{API}/projects/{pid}/imports", json=body, headers=admin_headers)
    assert "unknown option 'bogus'" in assert_problem(r, 422, field="options.bogus")["detail"]
    body = {"source": str(data_path("detection_coco128")), "format": "coco", "options": {"segmentaton": "0"}}
    r = client.post(f"{API}/projects/{pid}/imports", json=body, headers=admin_headers)
    assert "did you mean 'segmentation'" in assert_problem(r, 422, field="options.segmentaton")["detail"]
    # Checked against the chosen format and direction at once: COCO reads `segmentation` on import only.
    r = client.post(f"{API}/projects/{pid}/exports", json={"format": "coco", "options": {"segmentation": "0"}},
                    headers=admin_headers)  # fmt: skip
    detail = assert_problem(r, 422, field="options.segmentation")["detail"]
    assert "unknown option 'segmentation' for the coco format's export" in detail, detail
    assert client.get(f"{API}/jobs", headers=admin_headers).json() == []


def test_a_dotdot_path_leading_outside_is_not_called_a_link(
    client: TestClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "dots", item_kind="image")["id"]
    source = f"{tmp_path}/{'../' * (len(tmp_path.parts) - 1)}etc"
    r = client.post(f"{API}/projects/{pid}/imports", json={"source": source}, headers=admin_headers)
    detail = assert_problem(r, 403, field="source")["detail"]
    assert "(it leads to /etc, which is not)" in detail and "link" not in detail.split("allowed import folder")[1]


def test_downloads_are_named_for_the_project_and_cvat_names_its_task_so(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    pid = create_project(client, admin_headers, "Street Scenes 2", item_kind="image")["id"]
    body = {"source": str(data_path("detection_coco128")), "media": "none"}
    client.post(f"{API}/projects/{pid}/imports", json=body, headers=admin_headers)
    ids = [client.post(f"{API}/projects/{pid}/exports", json={"format": f}, headers=admin_headers).json()["id"]
           for f in ("coco", "cvat_images")]  # fmt: skip
    run_jobs(hub)
    coco = client.get(f"{API}/jobs/{ids[0]}/download", headers=admin_headers)
    assert coco.status_code == 200
    assert 'filename="street-scenes-2-coco-export.json"' in coco.headers["content-disposition"]
    cvat = Path(client.get(f"{API}/jobs/{ids[1]}", headers=admin_headers).json()["result"]["download"])
    assert cvat.name == "street-scenes-2-cvat_images-export.zip"
    import zipfile

    with zipfile.ZipFile(cvat) as zf:
        assert b"<name>Street Scenes 2</name>" in zf.read("annotations.xml")


def test_a_stranger_gets_404_before_the_body_is_judged(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    """QA security 8: a non-member's export with an unknown format was a 422 (unknown format), not the 404."""
    from tests.api._support import quick_user

    pid = create_project(client, admin_headers, "hidden")["id"]
    _, stranger = quick_user(hub, "stranger")
    for path, body in (("exports", {"format": "nope-format"}), ("imports", {"source": "/x", "format": "nope"})):
        assert_problem(client.post(f"{API}/projects/{pid}/{path}", json=body, headers=stranger), 404)
    assert_problem(client.post(f"{API}/projects/{pid}/exports", json={"format": "nope-format"},
                               headers=admin_headers), 422, field="format")  # fmt: skip


def test_an_export_made_before_the_home_moved_still_downloads(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    """QA ops finding 11: after a restore at another path every old download was a 404 (the result keeps the old
    home's absolute path)."""
    from labelhub.storage.models import Job

    pid = create_project(client, admin_headers, "moved", item_kind="text")["id"]
    r = client.post(f"{API}/projects/{pid}/exports", json={"format": "text"}, headers=admin_headers)
    run_jobs(hub)
    job_id = r.json()["id"]
    before = client.get(f"{API}/jobs/{job_id}/download", headers=admin_headers)
    assert before.status_code == 200
    with hub.db.session(write=True) as s:
        job = s.get_one(Job, job_id)
        old = Path("/srv/old-home/exports") / f"job-{job_id}" / Path(job.result["download"]).name
        job.result = {**job.result, "download": str(old)}
    after = client.get(f"{API}/jobs/{job_id}/download", headers=admin_headers)
    assert after.status_code == 200 and after.content == before.content
    with hub.db.session(write=True) as s:
        job = s.get_one(Job, job_id)
        job.result = {**job.result, "download": "/srv/old-home/exports/job-999/other.jsonl"}  # not this job's file
    assert_problem(client.get(f"{API}/jobs/{job_id}/download", headers=admin_headers), 404, field="download")
