"""Projects, their statistics and their members."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from labelhub.api.deps import ActorDep, HubDep
from labelhub.api.schemas import (
    AttributeIn,
    LabelClassIn,
    MemberIn,
    MemberPublic,
    ProjectCreate,
    ProjectPublic,
    ProjectUpdate,
)
from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import AnnotationKind, Role
from labelhub.domain.permissions import Action
from labelhub.domain.schema import PALETTE, LabelClass, LabelSchema
from labelhub.services import projects
from labelhub.services.access import require, role_in
from labelhub.services.class_renames import check_renames, follow_in_attributes

router = APIRouter(prefix="/projects", tags=["projects"])


def _schema(
    labels: list[LabelClassIn], kinds: list[AnnotationKind] | None, attributes: list[AttributeIn] | list[AttributeSpec]
) -> LabelSchema:
    # Classes without a hotkey get the first digit 1-9 that no class has asked for.
    taken = {c.hotkey for c in labels if c.hotkey}
    free = iter(d for d in "123456789" if d not in taken)
    classes = tuple(
        LabelClass(
            name=c.name,
            color=c.color or PALETTE[i % len(PALETTE)],
            hotkey=c.hotkey if c.hotkey is not None else next(free, None),
            keypoints=tuple(c.keypoints),
            skeleton=tuple(c.skeleton),
        )
        for i, c in enumerate(labels)
    )
    schema = LabelSchema(
        classes=classes,
        kinds=tuple(kinds) if kinds else tuple(AnnotationKind),
        attributes=tuple(
            a if isinstance(a, AttributeSpec) else AttributeSpec.from_json(a.model_dump()) for a in attributes
        ),
    )
    schema.check_attributes()
    return schema


def _public(p: Any, role: Role | None) -> ProjectPublic:
    out = ProjectPublic.model_validate(p)
    out.role = role
    return out


@router.get("", response_model=list[ProjectPublic])
def list_projects(actor: ActorDep, hub: HubDep) -> list[ProjectPublic]:
    with hub.db.session() as s:
        return [_public(p, r) for p, r in projects.list_projects(s, actor)]


@router.post("", response_model=ProjectPublic, status_code=201)
def create_project(body: ProjectCreate, actor: ActorDep, hub: HubDep) -> ProjectPublic:
    """Create a project; you become its owner. With ``LABELHUB_PROJECT_CREATORS=admins`` only administrators may
    (403 for anyone else)."""
    schema = _schema(body.labels, body.kinds, body.attributes)
    with hub.db.session(write=True) as s:
        p = projects.create_project(
            s,
            actor,
            body.name,
            item_kind=body.item_kind,
            schema=schema,
            description=body.description,
            creators=hub.settings.project_creators,
        )
        return _public(p, role_in(s, actor, p.id))


@router.get("/{project_id}", response_model=ProjectPublic)
def get_project(project_id: int, actor: ActorDep, hub: HubDep) -> ProjectPublic:
    with hub.db.session() as s:
        p = require(s, actor, project_id, Action.READ)
        return _public(p, role_in(s, actor, project_id))


@router.patch("/{project_id}", response_model=ProjectPublic)
def update_project(project_id: int, body: ProjectUpdate, actor: ActorDep, hub: HubDep) -> ProjectPublic:
    """Rename, describe or change the label schema; send the version you read (409 when stale). ``renames``
    rename classes with the annotations that carry them."""
    renames = [(r.from_, r.to) for r in body.renames]
    with hub.db.session(write=True) as s:
        current = require(s, actor, project_id, Action.EDIT_PROJECT)
        schema = None
        if body.labels is not None or body.kinds is not None or body.attributes is not None or renames:
            old = LabelSchema.from_json(current.label_schema)
            named = dict(renames)
            labels = (
                body.labels
                if body.labels is not None
                else [
                    LabelClassIn(
                        name=named.get(c.name, c.name),
                        color=c.color,
                        hotkey=c.hotkey,
                        keypoints=list(c.keypoints),
                        skeleton=list(c.skeleton),
                    )
                    for c in old.classes
                ]
            )
            new_names = [c.name for c in labels]
            attrs = follow_in_attributes(
                [AttributeSpec.from_json(a.model_dump()) for a in body.attributes]
                if body.attributes is not None
                else old.attributes,
                check_renames(old, new_names, renames),
                new_names,
            )
            schema = _schema(labels, body.kinds or list(old.kinds), attrs)
        p = projects.update_project(
            s,
            actor,
            project_id,
            expected_version=body.version,
            name=body.name,
            description=body.description,
            schema=schema,
            renames=renames,
        )
        return _public(p, role_in(s, actor, project_id))


@router.delete("/{project_id}", status_code=204)
def delete_project(project_id: int, actor: ActorDep, hub: HubDep) -> None:
    with hub.db.session(write=True) as s:
        projects.delete_project(s, actor, project_id)
    projects.remove_project_files(hub.settings.home, project_id)


@router.get("/{project_id}/stats")
def get_project_stats(
    project_id: int, actor: ActorDep, hub: HubDep, attributes: bool = False, fresh: bool = False
) -> dict[str, Any]:
    """Item counts by status, annotation counts by kind, label, source and state; with ``attributes=true``, also
    per declared attribute how many annotations hold a value and, for a choice, how many hold each option.

    ``counted_at`` says when they were counted and ``cached`` whether an earlier call did: the counts of a big
    project (over 0.2 s to count) are kept until the project's next write, and at most 60 s while it has a job
    running; ``fresh=true`` counts again."""
    with hub.db.session() as s:
        return hub.stats.stats(s, actor, project_id, attributes=attributes, fresh=fresh)


@router.get("/{project_id}/members", response_model=list[MemberPublic])
def list_members(project_id: int, actor: ActorDep, hub: HubDep) -> list[MemberPublic]:
    with hub.db.session() as s:
        return [
            MemberPublic(user_id=m.user_id, username=m.username, role=m.role)
            for m in projects.list_members(s, actor, project_id)
        ]


@router.put("/{project_id}/members/{user_id}", response_model=MemberPublic)
def set_member(project_id: int, user_id: int, body: MemberIn, actor: ActorDep, hub: HubDep) -> MemberPublic:
    """Add a member or change their role (managers and owners)."""
    with hub.db.session(write=True) as s:
        m = projects.set_member(s, actor, project_id, user_id, body.role)
        return MemberPublic(user_id=m.user_id, username=m.username, role=m.role)


@router.delete("/{project_id}/members/{user_id}", status_code=204)
def remove_member(project_id: int, user_id: int, actor: ActorDep, hub: HubDep) -> None:
    with hub.db.session(write=True) as s:
        projects.remove_member(s, actor, project_id, user_id)
