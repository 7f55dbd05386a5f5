"""Hostile sources through the import service: a refused import leaves no partial rows, on SQLite and PostgreSQL.

For each format, a project first gets the format's valid sample (so it has items, annotations, media rows and a
schema to lose); then a few mutated sources (see :mod:`tests.formats._hostile_samples`) are imported into it,
with and without ``skip_invalid``. An import either succeeds or raises a :class:`LabelhubError`, and when it
raises, the project's items, annotations, media rows and schema are exactly what they were before.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from tests.formats._hostile import FUZZ
from tests.formats._hostile_samples import CASES
from tests.formats.test_hostile_inputs import hostile_source

from labelhub.domain.schema import LabelSchema
from labelhub.errors import LabelhubError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.services.projects import create_project
from labelhub.storage.models import Annotation, Item, Media, Project

SYSTEM = Actor.system()
# Two databases per case: a few examples each keep the whole file well under a minute.
DB_FUZZ = settings(FUZZ, max_examples=10)


def project_rows(hub: Hub, pid: int) -> dict[str, Any]:
    """Return everything an import may change: the project's schema and version, its items and annotations
    (every column an import writes) and the media rows."""
    with hub.db.session() as s:
        project = s.get_one(Project, pid)
        items = s.execute(
            select(Item.id, Item.name, Item.media_key, Item.width, Item.height, Item.frame_count, Item.text,
                   Item.meta, Item.split, Item.status, Item.version).where(Item.project_id == pid).order_by(Item.id)
        ).all()  # fmt: skip
        anns = s.execute(
            select(Annotation.id, Annotation.item_id, Annotation.kind, Annotation.label, Annotation.geometry,
                   Annotation.frame, Annotation.track_id, Annotation.attributes)
            .where(Annotation.project_id == pid).order_by(Annotation.id)
        ).all()  # fmt: skip
        media = s.execute(select(Media.key, Media.size, Media.path).order_by(Media.key)).all()
        return {"schema": (project.label_schema, project.version), "items": items, "annotations": anns,
                "media": media}  # fmt: skip


def seeded_project(hub: Hub, case_id: str) -> int:
    """Create a project of the case's kind holding the case's valid sample; return its id."""
    case = CASES[case_id]
    with hub.db.session(write=True) as s:
        pid = create_project(
            s, SYSTEM, f"{case_id}-{uuid.uuid4().hex[:8]}", item_kind=case.kind, schema=LabelSchema.from_names([])
        ).id
    with tempfile.TemporaryDirectory(prefix="seed-") as tmp:
        report = import_source(hub, SYSTEM, pid, case.build(Path(tmp)), fmt=case.fmt, options=case.import_options())
    assert (report.items_added, report.annotations_added) == case.expect
    return pid


@pytest.mark.parametrize("case_id", sorted(CASES))
@DB_FUZZ
@given(data=st.data(), skip_invalid=st.booleans())
def test_a_refused_import_leaves_the_project_as_it_was(
    hub: Hub, case_id: str, data: st.DataObject, skip_invalid: bool
) -> None:
    case = CASES[case_id]
    pid = seeded_project(hub, case_id)
    before = project_rows(hub, pid)
    options = ImportOptions(**{**case.options, "skip_invalid": skip_invalid})
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        source = hostile_source(case, Path(tmp), data)
        try:
            import_source(hub, SYSTEM, pid, source, fmt=case.fmt, options=options)
        except LabelhubError:
            assert project_rows(hub, pid) == before
