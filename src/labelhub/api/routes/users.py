"""User administration (administrators only), and the user directory for picking project members."""

from __future__ import annotations

from fastapi import APIRouter

from labelhub.api.deps import ActorDep, AdminDep, HubDep
from labelhub.api.schemas import UserBrief, UserCreate, UserPublic, UserUpdate
from labelhub.services import users

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserPublic])
def list_users(_: AdminDep, hub: HubDep) -> list[UserPublic]:
    with hub.db.session() as s:
        return [UserPublic.model_validate(u) for u in users.list_users(s)]


@router.get("/directory", response_model=list[UserBrief])
def user_directory(actor: ActorDep, hub: HubDep) -> list[UserBrief]:
    """Active users' ids and names, to add as project members (administrators and project managers)."""
    with hub.db.session() as s:
        return [UserBrief(id=uid, username=name) for uid, name in users.directory(s, actor)]


@router.post("", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, actor: AdminDep, hub: HubDep) -> UserPublic:
    with hub.db.session(write=True) as s:
        return UserPublic.model_validate(
            users.create_user(s, actor, body.username, body.password, is_admin=body.is_admin)
        )


@router.patch("/{user_id}", response_model=UserPublic)
def update_user(user_id: int, body: UserUpdate, actor: AdminDep, hub: HubDep) -> UserPublic:
    with hub.db.session(write=True) as s:
        user = users.update_user(
            s, actor, user_id, password=body.password, is_admin=body.is_admin, is_active=body.is_active
        )
        out = UserPublic.model_validate(user)
    hub.actors.clear()  # a disabled user or a lost admin right counts from the next request
    return out
