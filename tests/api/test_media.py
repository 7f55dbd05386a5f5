"""Media over HTTP (ETag, Range, thumbnails), uploads of zipped datasets, health, and the OpenAPI ids."""

from __future__ import annotations

import hashlib
import io
import shutil
import stat
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from PIL import Image
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, run_jobs, write_coco
from tests.conftest import data_path

from labelhub import __version__
from labelhub.api.app import ROUTERS
from labelhub.hub import Hub

NAMES = ("000000000009.jpg", "000000000025.jpg", "000000000030.jpg")


def _dataset(root: Path) -> Path:
    """Copy three COCO128 images to ``root/images`` and write ``root/annotations/instances_default.json``."""
    src = data_path("detection_coco128", "images", "train2017")
    (root / "images").mkdir(parents=True)
    entries = []
    for name in NAMES:
        shutil.copyfile(src / name, root / "images" / name)
        with Image.open(root / "images" / name) as im:
            entries.append((name, im.width, im.height, [("cat", (1, 1, 10, 10))]))
    write_coco(root / "annotations" / "instances_default.json", entries)
    return root


def _zip(entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buf.getvalue()


def _zip_folder(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def media_project(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> tuple[int, Path]:
    """A project whose three items were imported through the API with their images copied into the store."""
    ds = _dataset(tmp_path / "ds")
    pid = create_project(client, admin_headers, "photos")["id"]
    r = client.post(f"{API}/projects/{pid}/imports", headers=admin_headers,
                    json={"source": str(ds / "annotations" / "instances_default.json"), "media": "copy"})  # fmt: skip
    assert r.status_code == 202, r.text
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()
    assert job["status"] == "succeeded" and job["result"]["items_added"] == 3, job
    return pid, ds / "images"


def _first_item(client: TestClient, headers: dict[str, str], pid: int) -> dict[str, object]:
    page = client.get(f"{API}/projects/{pid}/items", headers=headers).json()
    item: dict[str, object] = next(i for i in page["items"] if i["name"] == NAMES[0])
    return item


def test_media_is_served_byte_for_byte_with_a_content_etag(
    client: TestClient, admin_headers: dict[str, str], media_project: tuple[int, Path]
) -> None:
    pid, images = media_project
    for item in client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]:
        original = (images / str(item["name"])).read_bytes()
        digest = hashlib.sha256(original).hexdigest()
        assert item["media_key"] == digest
        r = client.get(f"{API}/projects/{pid}/items/{item['id']}/media", headers=admin_headers)
        assert r.status_code == 200
        assert r.content == original
        assert r.headers["etag"] == f'"{digest}"'
        assert r.headers["content-type"] == "image/jpeg"
        assert r.headers["content-disposition"].startswith("inline")

        again = client.get(f"{API}/projects/{pid}/items/{item['id']}/media",
                           headers={**admin_headers, "If-None-Match": f'"other", "{digest}"'})  # fmt: skip
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == f'"{digest}"'
        changed = client.get(f"{API}/projects/{pid}/items/{item['id']}/media",
                             headers={**admin_headers, "If-None-Match": '"something-else"'})  # fmt: skip
        assert changed.status_code == 200 and changed.content == original


def test_media_ranges(client: TestClient, admin_headers: dict[str, str], media_project: tuple[int, Path]) -> None:
    pid, images = media_project
    item = _first_item(client, admin_headers, pid)
    original = (images / NAMES[0]).read_bytes()
    url = f"{API}/projects/{pid}/items/{item['id']}/media"
    r = client.get(url, headers={**admin_headers, "Range": "bytes=0-99"})
    assert r.status_code == 206
    assert r.content == original[:100]
    assert r.headers["content-range"] == f"bytes 0-99/{len(original)}"
    tail = client.get(url, headers={**admin_headers, "Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == original[-10:]

    bad = client.get(url, headers={**admin_headers, "Range": f"bytes={len(original)}-"})
    assert bad.status_code == 416
    assert bad.headers["content-range"] == f"bytes */{len(original)}"


def test_thumbnails_are_webp_and_revalidate(
    client: TestClient, admin_headers: dict[str, str], media_project: tuple[int, Path]
) -> None:
    pid, _ = media_project
    item = _first_item(client, admin_headers, pid)
    url = f"{API}/projects/{pid}/items/{item['id']}/thumbnail"
    r = client.get(url, headers=admin_headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/webp"
    assert r.headers["etag"] == f'"{item["media_key"]}-256"'
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.format == "WEBP" and max(im.size) == 256
    cached = client.get(url, headers={**admin_headers, "If-None-Match": r.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""

    big = client.get(url, params={"size": 512}, headers=admin_headers)
    assert big.status_code == 200 and big.headers["etag"] == f'"{item["media_key"]}-512"'
    assert_problem(client.get(url, params={"size": 100}, headers=admin_headers), 422, field="size")


def test_metadata_only_items_and_other_projects_items_have_no_media(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], media_project: tuple[int, Path], tmp_path: Path
) -> None:
    pid, _ = media_project
    meta = create_project(client, admin_headers, "metadata-only")["id"]
    import_coco(hub, meta, write_coco(tmp_path / "meta.json", [("a.jpg", 64, 48, [])]), media="none")
    (iid,) = item_ids(client, admin_headers, meta)
    for what in ("media", "thumbnail"):
        body = assert_problem(client.get(f"{API}/projects/{meta}/items/{iid}/{what}", headers=admin_headers), 404,
                              field="media")  # fmt: skip
        assert "metadata only" in body["detail"]
        photo = _first_item(client, admin_headers, pid)["id"]
        assert_problem(client.get(f"{API}/projects/{meta}/items/{photo}/{what}", headers=admin_headers), 404,
                       field="item_id")  # fmt: skip


def test_uploading_a_zipped_coco_dataset_imports_it(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "uploaded")["id"]
    data = _zip(_zip_folder(_dataset(tmp_path / "ds")))
    r = client.post(f"{API}/projects/{pid}/uploads", files={"file": ("my dataset.zip", data, "application/zip")},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "import" and r.json()["status"] == "queued"
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()
    assert job["status"] == "succeeded", job
    assert (job["result"]["items_added"], job["result"]["annotations_added"]) == (3, 3)
    item = _first_item(client, admin_headers, pid)
    media = client.get(f"{API}/projects/{pid}/items/{item['id']}/media", headers=admin_headers)
    assert media.content == (tmp_path / "ds" / "images" / NAMES[0]).read_bytes()
    assert hub.settings.uploads_dir.resolve() in Path(job["params"]["source"]).resolve().parents


@pytest.mark.parametrize("entry", ["../evil.txt", "ds/../../evil.txt", "../../../evil.txt", "/tmp/evil.txt"])
def test_a_zip_entry_escaping_the_upload_folder_is_refused(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, entry: str
) -> None:
    pid = create_project(client, admin_headers, "uploaded")["id"]
    data = _zip({"annotations/a.json": b'{"images": []}', entry: b"owned"})
    r = client.post(f"{API}/projects/{pid}/uploads", files={"file": ("evil.zip", data, "application/zip")},
                    headers=admin_headers)  # fmt: skip
    body = assert_problem(r, 422, field=entry)
    assert "outside the upload folder" in body["detail"]
    assert list(tmp_path.rglob("evil.txt")) == [] and not Path("/tmp/evil.txt").exists()
    assert list(hub.settings.uploads_dir.iterdir()) == []  # neither the archive nor any entry is kept
    assert client.get(f"{API}/jobs", params={"project_id": pid}, headers=admin_headers).json() == []


def test_a_zip_with_a_symlink_is_refused(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "uploaded")["id"]
    data = _zip({"annotations/a.json": b'{"images": []}'}, symlinks={"images/passwd.jpg": "/etc/passwd"})
    r = client.post(f"{API}/projects/{pid}/uploads", files={"file": ("links.zip", data, "application/zip")},
                    headers=admin_headers)  # fmt: skip
    assert "symbolic link" in assert_problem(r, 422, field="images/passwd.jpg")["detail"]
    assert list(hub.settings.uploads_dir.iterdir()) == []


def test_health_needs_no_login(client: TestClient, hub: Hub) -> None:
    r = client.get(f"{API}/health")
    assert r.status_code == 200
    body = r.json()
    assert {k: body[k] for k in ("status", "version", "database")} == {"status": "ok", "version": __version__,
                                                                       "database": hub.db.dialect}  # fmt: skip
    assert body["revision"] and set(body) == {"status", "version", "database", "revision"}


def test_openapi_operation_ids_are_the_route_function_names(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    ids = {(path, method.upper()): op["operationId"] for path, ops in schema["paths"].items()
           for method, op in ops.items()}  # fmt: skip
    routes = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute) and r.include_in_schema]
    expected = {(API + r.path, m): r.endpoint.__name__ for r in routes for m in r.methods or ()}
    assert ids == expected
    assert len(set(ids.values())) == len(ids), "operation ids must be unique"
    assert ids[(f"{API}/projects/{{project_id}}/items", "GET")] == "list_items"
    assert ids[(f"{API}/projects/{{project_id}}/items/{{item_id}}/annotations", "PUT")] == "replace_annotations"


def test_a_refused_upload_names_the_file_as_uploaded_not_the_server_s_folder(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    pid = create_project(client, admin_headers, "texts", item_kind="text")["id"]
    rows = b'{"id": "r1", "text": "one"}\n{"id": "r1", "text": "the same id"}\n'
    r = client.post(f"{API}/projects/{pid}/uploads", files={"file": ("requests.jsonl", rows, "application/json")},
                    headers=admin_headers)  # fmt: skip
    assert r.status_code == 202, r.text
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()
    assert job["status"] == "failed", job
    error = job["error"]
    assert "duplicate item 'r1' (requests.jsonl: line 2" in error["detail"], error
    assert error["problems"][0]["file"].startswith("requests.jsonl")
    assert str(hub.settings.uploads_dir) not in str(error)


def test_an_upload_takes_format_options_and_refuses_bad_ones(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    pid = create_project(client, admin_headers, "texts", item_kind="text")["id"]
    rows = b"transcript,gold_intent\nmy card was declined,card_declined\nwhere is my refund,refund\n"
    url = f"{API}/projects/{pid}/uploads"

    def upload(options: str) -> httpx.Response:
        return client.post(url, files={"file": ("calls.csv", rows, "text/csv")},
                           data={"format": "text", "options": options}, headers=admin_headers)  # fmt: skip

    assert_problem(upload('{"text_column": 3}'), 422, field="options.text_column")
    assert_problem(upload("text_column=transcript"), 422, field="options")
    assert_problem(upload('{"images_dir": "/etc"}'), 403, field="options.images_dir")
    r = upload('{"text_column": "transcript", "label_column": "gold_intent"}')
    assert r.status_code == 202, r.text
    run_jobs(hub)
    assert client.get(f"{API}/jobs/{r.json()['id']}", headers=admin_headers).json()["status"] == "succeeded"
    texts = {
        i["text"]: i["id"] for i in client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]
    }
    assert set(texts) == {"my card was declined", "where is my refund"}
    anns = client.get(f"{API}/projects/{pid}/items/{texts['where is my refund']}/annotations", headers=admin_headers)
    assert [a["label"] for a in anns.json()["annotations"]] == ["refund"]
