"""Helpers of the attribute format tests: a project's schema and annotation values, and declaring attributes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from tests.formats._video_support import SYSTEM

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.schema import LabelSchema
from labelhub.hub import Hub
from labelhub.services.projects import update_project
from labelhub.storage.models import Annotation, Item, Project


def project_schema(hub: Hub, pid: int) -> tuple[LabelSchema, int]:
    """The project's label schema and version."""
    with hub.db.session() as s:
        project = s.get_one(Project, pid)
        return LabelSchema.from_json(project.label_schema), project.version


def annotation_values(hub: Hub, pid: int) -> list[tuple[str, str | None, int | None, dict[str, Any]]]:
    """Every annotation's item, label, frame and attributes, in a stable order."""
    with hub.db.session() as s:
        rows = s.execute(
            select(Item.name, Annotation.label, Annotation.frame, Annotation.attributes)
            .join(Annotation, Annotation.item_id == Item.id)
            .where(Item.project_id == pid)
        ).all()
    # PostgreSQL's JSONB orders an object's keys its own way: sort by the items, not by the dict's repr.
    return sorted(((n, lab, f, dict(a)) for n, lab, f, a in rows), key=lambda r: repr((*r[:3], sorted(r[3].items()))))


def declare(hub: Hub, pid: int, *specs: AttributeSpec, classes: tuple[str, ...] = ()) -> None:
    """Declare ``specs`` (replacing the project's attributes) as the settings page would, adding ``classes``."""
    schema, version = project_schema(hub, pid)
    schema = schema.with_classes(classes)
    with hub.db.session(write=True) as s:
        update_project(
            s, SYSTEM, pid, expected_version=version,
            schema=LabelSchema(classes=schema.classes, kinds=schema.kinds, attributes=specs),
        )  # fmt: skip
