"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from labelhub import __version__
from labelhub.api.deps import HubDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(hub: HubDep) -> dict[str, Any]:
    """Report the version and whether the database answers."""
    with hub.db.session() as s:
        s.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": hub.db.dialect}
