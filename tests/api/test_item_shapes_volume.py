"""GET .../items/shapes for volume items: the shapes of the slice the thumbnail shows (the middle one)."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, create_project

from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Item

SHAPE = (8, 6, 5)  # X, Y, Z: the thumbnail is slice 5 // 2 = 2


def test_a_volume_thumbnail_gets_its_middle_slices_shapes(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "mri"
    (folder / "labels").mkdir(parents=True)
    nib.save(nib.Nifti1Image(np.zeros(SHAPE, np.int16), np.eye(4)), str(folder / "knee.nii.gz"))
    labels = np.zeros(SHAPE, np.uint8)
    labels[1:3, 1:4, 2] = 1  # the middle slice: RAS+ x 1-2, y 1-3 -> shown columns 5-6, rows 2-4
    labels[0:4, 0:4, 0] = 1  # another slice: not drawn on the thumbnail
    nib.save(nib.Nifti1Image(labels, np.eye(4)), str(folder / "labels" / "knee.nii.gz"))
    pid = create_project(client, admin_headers, "knees", item_kind="volume", labels=[{"name": "menisc"}])["id"]
    import_source(hub, Actor.system(), pid, folder, options=ImportOptions(extra={"labels": "menisc"}))
    with hub.db.session() as s:
        iid = s.scalars(select(Item.id).where(Item.project_id == pid)).one()
    r = client.get(f"{API}/projects/{pid}/items/shapes", params={"ids": str(iid)}, headers=admin_headers)
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert (item["item_id"], item["width"], item["height"]) == (iid, 8, 6)
    (shape,) = item["shapes"]
    assert (shape["kind"], shape["label"], shape["points"]) == ("mask", "menisc", [5.0, 2.0, 7.0, 5.0])
