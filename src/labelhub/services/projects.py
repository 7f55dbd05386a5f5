"""Projects, their label schemas and their members."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import delete, distinct, func, select, update
from sqlalchemy.orm import Session

from labelhub.domain.attributes import AttributeSpec, check_specs
from labelhub.domain.enums import ItemKind, ProjectCreators, Role
from labelhub.domain.permissions import Action, allows
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ConflictError, NotFoundError, ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, require, require_project_creator
from labelhub.services.assignment import clear_open_assignments
from labelhub.services.class_renames import Rename, apply_renames, check_renames, follow_in_format_meta
from labelhub.services.keypoint_remap import follow_keypoints
from labelhub.storage.models import Annotation, Membership, Project, User, utcnow


@dataclass(frozen=True, slots=True)
class MemberView:
    user_id: int
    username: str
    role: Role


def _valid_name(name: str) -> str:
    """The stripped name, or ValidationError: 1-200 characters, and not only digits (the CLI and the API take
    a project's name or its id in one place, and a number there is an id)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("project name must be 1-200 characters", field="name")
    if name.isdigit():
        raise ValidationError(
            f"project name {name!r} is only digits, and a number is a project id; add a letter (e.g. 'p{name}')",
            field="name",
        )
    return name


def create_project(
    session: Session,
    actor: Actor,
    name: str,
    *,
    item_kind: ItemKind,
    schema: LabelSchema,
    description: str = "",
    creators: ProjectCreators = ProjectCreators.EVERYONE,
) -> Project:
    """Create a project; its creator becomes its owner.

    ``creators`` is the server's rule of who may (``Settings.project_creators``): with ``admins`` anyone else
    gets PermissionDenied. The CLI, run by whoever runs the server, leaves it at ``everyone``.
    """
    require_project_creator(actor, creators)
    name = _valid_name(name)
    if session.scalar(select(Project.id).where(Project.name == name)) is not None:
        raise ConflictError(f"a project named {name!r} already exists", field="name")
    project = Project(
        name=name,
        description=description,
        item_kind=item_kind.value,
        label_schema=schema.to_json(),
        created_by=actor.user_id,
    )
    session.add(project)
    session.flush()
    if actor.user_id is not None:
        session.add(Membership(project_id=project.id, user_id=actor.user_id, role=Role.OWNER.value))
    audit.record(
        session,
        actor,
        "project.create",
        "project",
        project.id,
        project_id=project.id,
        detail={"name": name, "kind": item_kind.value},
    )
    return project


def list_projects(session: Session, actor: Actor) -> list[tuple[Project, Role | None]]:
    """Return the projects the actor can see with their role in each (admins see all)."""
    if actor.is_admin:
        rows = session.execute(
            select(Project, Membership.role)
            .outerjoin(Membership, (Membership.project_id == Project.id) & (Membership.user_id == actor.user_id))
            .order_by(Project.id)
        ).all()
    else:
        rows = session.execute(
            select(Project, Membership.role)
            .join(Membership, Membership.project_id == Project.id)
            .where(Membership.user_id == actor.user_id)
            .order_by(Project.id)
        ).all()
    return [(p, Role(r) if r else None) for p, r in rows]


def get_project_by_name(session: Session, actor: Actor, name_or_id: str) -> Project:
    """Return the project with this name (or numeric id) that the actor may read."""
    pid = session.scalar(select(Project.id).where(Project.name == name_or_id))
    if pid is None and name_or_id.isdigit():
        pid = int(name_or_id)
    missing = NotFoundError(f"project {name_or_id!r} not found", field="project")
    if pid is None:
        raise missing
    try:
        return require(session, actor, pid, Action.READ)
    except NotFoundError:
        raise missing from None  # the same words as for no such project: a non-member learns nothing of it


def update_project(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    expected_version: int,
    name: str | None = None,
    description: str | None = None,
    schema: LabelSchema | None = None,
    renames: Sequence[Rename] = (),
) -> Project:
    """Change a project's name, description or schema; 409 when ``expected_version`` is stale.

    ``renames`` (old name, new name) rename classes of the schema, which ``schema`` lists under their new names:
    the annotations that carry one follow in this transaction (see :mod:`labelhub.services.class_renames`).
    """
    project = require(session, actor, project_id, Action.EDIT_PROJECT)
    if renames and schema is None:
        raise ValidationError("renames need the schema's classes under their new names", field="renames")
    values: dict[str, Any] = {"version": Project.version + 1, "updated_at": utcnow()}
    if name is not None:
        name = _valid_name(name)
        taken = session.scalar(select(Project.id).where(Project.name == name, Project.id != project_id))
        if taken is not None:
            raise ConflictError(f"a project named {name!r} already exists", field="name")
        values["name"] = name
    if description is not None:
        values["description"] = description
    if schema is not None:
        before = LabelSchema.from_json(project.label_schema)
        renames = check_renames(before, schema.names, renames)
        _refuse_removing_used_classes(session, project, schema, renamed={a for a, _ in renames})
        values["label_schema"] = {**project.label_schema, **schema.to_json()}
        if renames and isinstance(project.label_schema.get("format_meta"), dict):
            values["label_schema"]["format_meta"] = follow_in_format_meta(project.label_schema["format_meta"], renames)
    res = session.execute(
        update(Project).where(Project.id == project_id, Project.version == expected_version).values(**values)
    )
    if res.rowcount == 0:  # type: ignore[attr-defined]
        raise ConflictError(
            f"project {project_id} changed since version {expected_version}; reload and retry",
            field="version",
            current_version=project.version,
        )
    detail: dict[str, Any] = {"fields": sorted(k for k in values if k not in ("version", "updated_at"))}
    if schema is not None:
        followed = follow_keypoints(session, project_id, before, schema, dict(renames))
        if followed:
            detail["keypoints_moved"] = followed
    if renames:
        detail["renames"] = [{"from": a, "to": b} for a, b in renames]
        detail["annotations"] = apply_renames(session, project_id, renames)
    session.refresh(project)
    audit.record(session, actor, "project.update", "project", project_id, project_id=project_id, detail=detail)
    return project


def _refuse_removing_used_classes(
    session: Session, project: Project, schema: LabelSchema, *, renamed: Iterable[str] = ()
) -> None:
    """A class that annotations still carry cannot leave the schema: every save of an item holding one would be
    refused from then on (its label is no class of the project). 422 on ``labels`` naming the classes and counts.
    A ``renamed`` class stays: its annotations take its new name."""
    kept = {c.name for c in schema.classes} | set(renamed)
    removed = [c.name for c in LabelSchema.from_json(project.label_schema).classes if c.name not in kept]
    if not removed:
        return
    used = session.execute(
        select(Annotation.label, func.count(), func.count(distinct(Annotation.item_id)))
        .where(Annotation.project_id == project.id, Annotation.label.in_(removed))
        .group_by(Annotation.label)
        .order_by(Annotation.label)
    ).all()
    if used:
        counts = "; ".join(f"{label!r} by {n:,} annotations on {items:,} items" for label, n, items in used)
        raise ValidationError(
            f"classes still in use cannot be removed: {counts}. Relabel or delete those annotations first "
            f"(the grid's label filter finds their items), then remove the class; to rename a class, send "
            f"renames [{{'from': old, 'to': new}}]",
            field="labels",
        )


def extend_schema(session: Session, project: Project, names: list[str], meta: dict[str, Any] | None = None) -> None:
    """Add class names (and format metadata such as COCO category ids) to a project's schema, in place."""
    schema = LabelSchema.from_json(project.label_schema).with_classes(names)
    data = {**project.label_schema, **schema.to_json()}
    if meta:
        data["format_meta"] = {**project.label_schema.get("format_meta", {}), **meta}
    if data != project.label_schema:
        project.label_schema = data
        project.version += 1


def extend_attributes(session: Session, project: Project, declared: Iterable[AttributeSpec]) -> list[str]:
    """Declare in a project's schema the attributes an import's file declares, in place; return the warnings.

    Runs in the import's transaction (after :func:`extend_schema` added the file's classes), so a failed import
    declares nothing. See :func:`merge_attributes` for what is merged and what is warned about.
    """
    schema = LabelSchema.from_json(project.label_schema)
    merged, warnings = merge_attributes(schema.attributes, declared, schema.names)
    if merged != schema.attributes:
        extended = LabelSchema(classes=schema.classes, kinds=schema.kinds, attributes=merged)
        project.label_schema = {**project.label_schema, **extended.to_json()}
        project.version += 1
    return warnings


def merge_attributes(
    existing: Iterable[AttributeSpec], declared: Iterable[AttributeSpec], class_names: Iterable[str]
) -> tuple[tuple[AttributeSpec, ...], list[str]]:
    """Fold a file's declarations (one per label and attribute, in the file's order) into ``existing``.

    A name not declared yet is added. The same name with the same type joins the classes it applies to (an
    attribute that applies to every class keeps doing so) and, for ``select``, the options (new ones after the
    known ones); the declaration met first keeps its default. The same name with another type keeps the first
    declaration, the project's before the file's, and says so in a warning: the file's values for it come in as
    they are, and the editor shows those that do not fit. A declaration that cannot be used (a reserved name,
    a name too long) is left out with a warning; a default that does not fit its type is dropped.
    """
    known = list(class_names)
    known_set = set(known)
    specs: dict[str, AttributeSpec] = {s.name: s for s in existing}
    from_file: set[str] = set()
    warnings: list[str] = []
    for spec in declared:
        labels = tuple(n for n in dict.fromkeys(spec.labels) if n in known_set)
        if spec.labels and not labels:
            continue  # its classes are not the project's (an import refuses shapes of them anyway)
        spec = replace(spec, labels=labels, default=None if spec.problem(spec.default) else spec.default)
        try:
            check_specs([spec], known)
        except ValidationError as exc:
            why = exc.detail.removeprefix("attributes[0]: ").replace(f"attribute {spec.name!r} is", "the name is")
            warnings.append(
                f"the file's attribute {spec.name[:60]!r} was not declared in the project: {why}."
                " Its values come in as they are"
            )
            continue
        have = specs.get(spec.name)
        if have is None:
            specs[spec.name] = spec
            from_file.add(spec.name)
        elif have.type != spec.type:
            where = "the file" if spec.name in from_file else "the project"
            warnings.append(
                f"attribute {spec.name!r} is {spec.type} for {', '.join(labels) or 'every class'} in the file, but"
                f" {where} declares it as {have.type}{_for(have)}: the {have.type} declaration is kept, and the"
                f" file's values of it come in as they are (the editor shows those that do not fit)"
            )
        else:
            joined = () if not have.labels or not labels else tuple(dict.fromkeys(have.labels + labels))
            specs[spec.name] = replace(have, labels=joined, options=tuple(dict.fromkeys(have.options + spec.options)))
    return tuple(specs.values()), warnings


def _for(spec: AttributeSpec) -> str:
    return f" (for {', '.join(spec.labels)})" if spec.labels else ""


def project_folders(home: Path, project_id: int) -> list[Path]:
    """The folders under HOME that belong to one project: its vector indexes, embedding maps, trained encoders
    and model versions. (Media is shared between projects by content hash and stays.)"""
    return [
        home / "indexes" / str(project_id),
        home / "maps" / str(project_id),
        home / "embedders" / str(project_id),
        home / "models" / f"project-{project_id}",
    ]


def remove_project_files(home: Path, project_id: int) -> None:
    """Remove a deleted project's folders, once its deletion has committed: SQLite may hand the same id to the
    next project, which must not find the old project's index or models."""
    for folder in project_folders(home, project_id):
        shutil.rmtree(folder, ignore_errors=True)


def delete_project(session: Session, actor: Actor, project_id: int) -> None:
    """Delete a project with its items, annotations and jobs (the caller then calls remove_project_files)."""
    project = require(session, actor, project_id, Action.DELETE_PROJECT)
    audit.record(
        session, actor, "project.delete", "project", project_id, project_id=project_id, detail={"name": project.name}
    )
    session.delete(project)


def list_members(session: Session, actor: Actor, project_id: int) -> list[MemberView]:
    require(session, actor, project_id, Action.READ)
    rows = session.execute(
        select(User.id, User.username, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == project_id)
        .order_by(User.username)
    ).all()
    return [MemberView(uid, uname, Role(role)) for uid, uname, role in rows]


def set_member(session: Session, actor: Actor, project_id: int, user_id: int, role: Role) -> MemberView:
    """Add a member or change their role; only an owner or admin may grant or take away ownership."""
    require(session, actor, project_id, Action.MANAGE_MEMBERS)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found", field="user_id")
    current = session.get(Membership, (project_id, user_id))
    if current is None and not user.is_active:
        raise ValidationError(f"user {user.username} is deactivated; an administrator can reactivate them first",
                              field="user_id")  # fmt: skip
    touches_owner = role is Role.OWNER or (current is not None and current.role == Role.OWNER.value)
    if touches_owner:
        require(session, actor, project_id, Action.DELETE_PROJECT, doing="granting or taking away ownership")
    if current is not None and current.role == Role.OWNER.value and role is not Role.OWNER:
        _keep_one_owner(session, project_id, user_id)
    if current is None:
        session.add(Membership(project_id=project_id, user_id=user_id, role=role.value))
    else:
        current.role = role.value
    # A viewer labels nothing: the items assigned to them and not labelled yet go back to the pool.
    cleared = 0 if allows(role, Action.ANNOTATE) else clear_open_assignments(session, project_id, user_id)
    audit.record(
        session,
        actor,
        "member.set",
        "membership",
        user_id,
        project_id=project_id,
        detail={"username": user.username, "role": role.value, **({"unassigned": cleared} if cleared else {})},
    )
    return MemberView(user.id, user.username, role)


def remove_member(session: Session, actor: Actor, project_id: int, user_id: int) -> None:
    require(session, actor, project_id, Action.MANAGE_MEMBERS)
    current = session.get(Membership, (project_id, user_id))
    if current is None:
        raise NotFoundError(f"user {user_id} is not a member", field="user_id")
    if current.role == Role.OWNER.value:
        require(session, actor, project_id, Action.DELETE_PROJECT, doing="removing an owner")
        _keep_one_owner(session, project_id, user_id)
    session.execute(delete(Membership).where(Membership.project_id == project_id, Membership.user_id == user_id))
    cleared = clear_open_assignments(session, project_id, user_id)
    audit.record(session, actor, "member.remove", "membership", user_id, project_id=project_id,
                 detail={"unassigned": cleared} if cleared else None)  # fmt: skip


def _keep_one_owner(session: Session, project_id: int, leaving_user: int) -> None:
    owners = session.scalars(
        select(Membership.user_id).where(Membership.project_id == project_id, Membership.role == Role.OWNER.value)
    ).all()
    if [u for u in owners if u != leaving_user] == []:
        raise ConflictError("a project needs at least one owner; make someone else owner first", field="role")
