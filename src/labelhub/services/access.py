"""Who is acting, and the one check every project route goes through."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Table, and_, null, select
from sqlalchemy.orm import Session, defer

from labelhub.domain.enums import ProjectCreators, Role
from labelhub.domain.permissions import MINIMUM_ROLE, Action, allows
from labelhub.domain.schema import LabelSchema
from labelhub.errors import NotFoundError, PermissionDenied
from labelhub.storage.models import Item, Membership, Project

_PROJECTS = cast(Table, Project.__table__)
_P = _PROJECTS.c
_ITEMS = cast(Table, Item.__table__)
_MEMBERSHIPS = cast(Table, Membership.__table__)
_M = _MEMBERSHIPS.c
_WITHOUT_SCHEMA = [defer(Project.label_schema)]  # built once: building a loader option costs per call


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated user behind a request or a CLI command."""

    user_id: int | None
    username: str
    is_admin: bool = False

    @classmethod
    def system(cls) -> Actor:
        """The actor for work the system does on its own (CLI as admin, jobs)."""
        return cls(user_id=None, username="system", is_admin=True)


def may_create_projects(actor: Actor, creators: ProjectCreators) -> bool:
    """True when the server's rule (``LABELHUB_PROJECT_CREATORS``) lets the actor create projects."""
    return creators is ProjectCreators.EVERYONE or actor.is_admin


def require_project_creator(actor: Actor, creators: ProjectCreators) -> None:
    """Raise PermissionDenied, saying who may, when the actor may not create projects on this server."""
    if not may_create_projects(actor, creators):
        raise PermissionDenied(
            "on this server only administrators create projects (LABELHUB_PROJECT_CREATORS=admins); "
            "ask an administrator to create the project and add you to it",
            field="role",
        )


def role_in(session: Session, actor: Actor, project_id: int) -> Role | None:
    """Return the actor's role in the project, or None when not a member."""
    if actor.user_id is None:
        return None
    role = session.scalar(
        select(Membership.role).where(Membership.project_id == project_id, Membership.user_id == actor.user_id)
    )
    return Role(role) if role else None


def require(session: Session, actor: Actor, project_id: int, action: Action, *, doing: str | None = None) -> Project:
    """Return the project when the actor may perform ``action`` in it.

    Raises NotFoundError when the project does not exist or the actor is not a member (so ids of other
    teams' projects reveal nothing), and PermissionDenied when the actor is a member with too small a role.
    """
    return require_with_role(session, actor, project_id, action, doing=doing)[0]


def require_with_role(
    session: Session, actor: Actor, project_id: int, action: Action, *, doing: str | None = None
) -> tuple[Project, Role | None]:
    """Return the project and the actor's role in it (None for admins), checking as ``require`` does.

    ``doing`` names what the person tried, in a refusal, where that is not the action itself (cancelling
    someone's job is checked as the role that starts jobs).
    """
    # The schema (a large JSON document with many classes) is loaded only where it is used: see project_schema.
    project = session.get(Project, project_id, options=_WITHOUT_SCHEMA)
    if project is None:
        raise NotFoundError(f"project {project_id} not found", field="project_id")
    return project, _role_for(session, actor, project_id, project.name, action, doing)


class ProjectRef(NamedTuple):
    """The few facts of a project that the editor's hot routes need; read without the ORM."""

    id: int
    name: str
    version: int
    created_at: datetime
    item_kind: str


def check_access(session: Session, actor: Actor, project_id: int, action: Action) -> tuple[ProjectRef, Role | None]:
    """Check as ``require_with_role`` does, returning a :class:`ProjectRef` instead of the ORM object.

    For the routes the editor calls for every item (read annotations, save), where loading an ORM object was a
    measurable share of the request.
    """
    row = session.execute(
        select(_P.id, _P.name, _P.version, _P.created_at, _P.item_kind).where(_P.id == project_id)
    ).first()
    if row is None:
        raise NotFoundError(f"project {project_id} not found", field="project_id")
    ref = ProjectRef(*row)
    return ref, _role_for(session, actor, project_id, ref.name, action)


def check_item_access(
    session: Session, actor: Actor, project_id: int, item_id: int, action: Action, columns: Sequence[ColumnElement[Any]]
) -> tuple[ProjectRef, Role | None, tuple[Any, ...]]:
    """Check as :func:`check_access` does and read ``columns`` of one of the project's items, in one query.

    The editor's save reads the project, the user's role and the item before anything else; one statement
    instead of three. Raises NotFoundError (field ``item_id``) when the item is not in the project.
    """
    member = not actor.is_admin and actor.user_id is not None
    joined = _PROJECTS.outerjoin(_ITEMS, and_(_ITEMS.c.id == item_id, _ITEMS.c.project_id == _P.id))
    if member:
        joined = joined.outerjoin(_MEMBERSHIPS, and_(_M.project_id == _P.id, _M.user_id == actor.user_id))
    head = [_P.id, _P.name, _P.version, _P.created_at, _P.item_kind, _ITEMS.c.id, _M.role if member else null()]
    row = session.execute(select(*head, *columns).select_from(joined).where(_P.id == project_id)).first()
    if row is None:
        raise NotFoundError(f"project {project_id} not found", field="project_id")
    ref = ProjectRef(*row[:5])
    role = None if actor.is_admin else _checked(Role(row[6]) if row[6] else None, project_id, ref.name, action)
    if row[5] is None:
        raise NotFoundError(f"item {item_id} not found in project {project_id}", field="item_id")
    return ref, role, tuple(row[7:])


def _role_for(
    session: Session, actor: Actor, project_id: int, name: str, action: Action, doing: str | None = None
) -> Role | None:
    if actor.is_admin:
        return None  # admins may do anything; their membership does not matter here
    return _checked(role_in(session, actor, project_id), project_id, name, action, doing)


def _checked(role: Role | None, project_id: int, name: str, action: Action, doing: str | None = None) -> Role:
    """Return ``role`` when it allows ``action``: NotFoundError for a non-member, PermissionDenied for too small."""
    if role is None:
        raise NotFoundError(f"project {project_id} not found", field="project_id")
    if not allows(role, action):
        raise PermissionDenied(
            f"{doing or action.value} needs the {MINIMUM_ROLE[action].value} role in project {name!r};"
            f" you are {role.value}",
            field="role",
        )
    return role


_SchemaKey = tuple[int, int, int, datetime]
_SCHEMAS: dict[_SchemaKey, LabelSchema] = {}
_SCHEMAS_LOCK = threading.Lock()
_SCHEMAS_MAX = 512


def project_schema(session: Session, project: Project | ProjectRef) -> LabelSchema:
    """Return the project's parsed label schema, cached per project version.

    Every change to a schema raises the project's version, so (database, project, version) names one schema;
    the creation time guards against a recreated database reusing ids. Saves read the schema on every
    request, and parsing its JSON (80 classes and their format metadata) cost more than the save's SQL.
    """
    key = (id(session.get_bind()), project.id, project.version, project.created_at)
    schema = _SCHEMAS.get(key)
    if schema is None:
        data = session.scalar(select(_P.label_schema).where(_P.id == project.id))
        schema = LabelSchema.from_json(data or {})
        with _SCHEMAS_LOCK:
            if len(_SCHEMAS) >= _SCHEMAS_MAX:
                _SCHEMAS.clear()
            _SCHEMAS[key] = schema
    return schema
