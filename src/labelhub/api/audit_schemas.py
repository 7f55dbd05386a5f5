"""Response bodies of the audit log routes (see docs/api.md, "Audit log")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventPublic(BaseModel):
    """One recorded write: who, what, which object, when."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    user_id: int | None = Field(description="Who did it; null for the system or a user deleted since")
    username: str | None = Field(description="Their name now; null for the system or a user deleted since")
    project_id: int | None = Field(description="The project it happened in; null for logins, users and tokens")
    action: str = Field(description="What was done, e.g. annotations.replace, item.approve, member.set")
    object_type: str = Field(description="The kind of object: item, project, membership, job, user, token, ...")
    object_id: str | None
    detail: dict[str, Any] = Field(
        description="What changed, by action (counts, old and new status, role, ...); `actor` is the name then"
    )


class AuditPagePublic(BaseModel):
    """A page of audit events, newest first."""

    events: list[AuditEventPublic]
    next_after: int | None = Field(description="Pass as ?after= for the next (older) page; null on the last page")
