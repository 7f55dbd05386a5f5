"""A COCO category whose keypoints or skeleton cannot be declared: the import says so, not dropping it silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, create_project, import_coco

from labelhub.hub import Hub


def _file(path: Path, category: dict[str, Any]) -> Path:
    doc = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "person", **category}],
        "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "iscrowd": 0,
                         "keypoints": [15, 12, 2, 12, 14, 1, 0, 0, 0]}],
    }  # fmt: skip
    path.write_bytes(orjson.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("category", "words"),
    [
        ({"keypoints": ["nose", "eye", "ear"], "skeleton": [[1, 2], [2, 7]]}, "skeleton[1] [2, 7]"),
        ({"keypoints": ["nose", "eye", "ear"], "skeleton": [[1, 1]]}, "skeleton[0] [1, 1]"),
        ({"keypoints": ["nose", "nose", "ear"], "skeleton": []}, "keypoint 'nose' is named twice"),
        ({"keypoints": ["nose", "eye", "ear"], "skeleton": [[1, "2"]]}, "skeleton [[1, '2']]"),
    ],
)
def test_a_category_that_cannot_be_declared_is_a_warning_naming_it(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path, category: dict[str, Any], words: str
) -> None:
    pid = create_project(client, admin_headers, "kp-broken")["id"]
    report = import_coco(hub, pid, _file(tmp_path / "k.json", category))
    assert report.annotations_added >= 1
    (warning,) = report.warnings
    assert "category 'person'" in warning and words in warning and "gives its class no keypoints" in warning
    classes = client.get(f"{API}/projects/{pid}", headers=admin_headers).json()["label_schema"]["classes"]
    assert "keypoints" not in classes[0]
