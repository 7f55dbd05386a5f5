"""Liveness and readiness: 200 only when the database answers and holds the schema this server expects."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from labelhub import __version__
from labelhub.api.deps import HubDep
from labelhub.errors import LabelhubError
from labelhub.storage.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])
log = logging.getLogger("labelhub.api")
_quiet_until = [0.0]  # monotonic time before which an unreachable database is not logged again


class DatabaseUnavailable(LabelhubError):
    """The database does not answer, or does not hold the schema this server expects (problem+json, 503)."""

    status = 503
    title = "Database unavailable"
    slug = "database-unavailable"


@router.get("/health")
def health(hub: HubDep) -> dict[str, Any]:
    """Report the version and whether the database answers."""
    # 503 problem+json when it does not, or does not hold this version's schema. The answer never carries the
    # database URL or the driver's error text (this route needs no login); the server log has the reason.
    db = hub.db
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            revision = current_revision(conn)
    except SQLAlchemyError as exc:
        _log_unreachable(_reason(exc, db.url))
        raise DatabaseUnavailable(
            "the database does not answer; the server log has the reason", database="unreachable"
        ) from None
    expected = head_revision()
    if revision is None:
        raise DatabaseUnavailable(
            "the database is empty (no labelhub schema): it was replaced or re-created; restart labelhub to create "
            "the schema, or restore a backup",
            database="schema missing",
        )
    if revision != expected:
        raise DatabaseUnavailable(
            f"the database schema is at revision {revision}, this server expects {expected}; restart labelhub (it "
            "upgrades an older schema) or run the labelhub version that matches the database",
            database="schema mismatch",
            revision=revision,
            expected_revision=expected,
        )
    return {"status": "ok", "version": __version__, "database": db.dialect, "revision": revision}


def _log_unreachable(reason: str, *, every_s: float = 60.0) -> None:
    """Log why the database is unreachable at most once a minute: a probe polling every second during a night's
    outage must not write a line per poll."""
    now = time.monotonic()
    if now >= _quiet_until[0]:
        _quiet_until[0] = now + every_s
        log.warning("health: the database is unreachable: %s (logged at most once a minute)", reason)


def _reason(exc: SQLAlchemyError, url: str) -> str:
    """The driver's first line, with the URL's password masked."""
    orig = getattr(exc, "orig", None)
    reason = " ".join(str(orig or exc).split())[:300]
    password = make_url(url).password
    return reason.replace(str(password), "***") if password else reason
