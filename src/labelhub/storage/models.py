"""SQLAlchemy 2 tables. The schema itself is created and changed only by the Alembic migrations.

Indexes follow the queries: every list is keyset-paginated on ``(project_id, id)`` and filtered by status,
label, source or state, so each filter has an index that ends in the id it pages on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates
from sqlalchemy.types import TypeDecorator

from labelhub.domain.natural import KEY_CHARS, natural_key

JsonType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY, so big ids are INTEGER there and BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# Compared by code point on both backends: SQLite's default collation (BINARY) does; PostgreSQL's default is the
# database's own (en_US and the like put "a" before "B"), so the column says "C".
SortKey = String(KEY_CHARS).with_variant(String(KEY_CHARS, collation="C"), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores none, so we attach UTC when reading)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None and dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JsonType, datetime: UtcDateTime()}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token or a browser session; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16), default="api")  # "api" or "session"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginFailure(Base):
    """One failed login, counted by :mod:`labelhub.services.login_throttle` for every server process.

    ``username`` is case-folded (the key the throttle counts by), ``address`` the client's address. Rows older
    than the throttle's window are deleted now and then; nothing else refers to them.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
        Index("ix_login_failures_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    item_kind: Mapped[str] = mapped_column(String(16))
    label_schema: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Membership(Base):
    __tablename__ = "memberships"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))


class Media(Base):
    """A stored file, by content hash. ``path`` is set for files linked in place (``--link``)."""

    __tablename__ = "media"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(100))
    path: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _sort_key_default(ctx: DefaultExecutionContext) -> str:
    """The sort key of an item a Core INSERT writes without one (the ORM's items get theirs from the name)."""
    params: dict[str, Any] = ctx.get_current_parameters()  # type: ignore[no-untyped-call]
    return natural_key(params["name"])


# "The item has a priority": the partial index's condition, per database. A query reaches the index only when its
# WHERE holds this very condition (SQLite matches it term by term), so the queue writes it from here.
PRIORITY_SET = {
    "sqlite": "json_extract(meta, '$.\"priority\"') IS NOT NULL",
    "postgresql": "(meta ->> 'priority') IS NOT NULL",
}


class Item(Base):
    """One image, video, text or volume. ``version`` guards the item's annotation set (409 when stale)."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("project_id", "name", name="uq_items_project_name"),
        Index("ix_items_project_id_id", "project_id", "id"),
        Index("ix_items_project_status_id", "project_id", "status", "id"),
        Index("ix_items_project_annotator_id", "project_id", "annotator_id", "id"),
        # The name orders' keyset (labelhub.services.item_order). On PostgreSQL migration 0006 builds it with
        # ``name COLLATE "C"``, the tie-break's comparison there.
        Index("ix_items_project_sort_key_name", "project_id", "sort_key", "name"),
        Index("ix_items_project_assignee_id", "project_id", "assignee_id", "id"),
        # The few items sent to labelling (``meta.priority``), which the labelling queue offers first: found without
        # reading the project's other items (migration 0008; labelhub.services.queue).
        Index(
            "ix_items_project_priority",
            "project_id",
            "id",
            sqlite_where=text(PRIORITY_SET["sqlite"]),
            postgresql_where=text(PRIORITY_SET["postgresql"]),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(1024))
    # natural_key(name): what the name orders sort by. Kept by the ORM on every insert and rename (the default
    # and _keep_sort_key below); the bulk import writes it itself (labelhub.storage.bulk.ITEM_COLUMNS).
    sort_key: Mapped[str] = mapped_column(SortKey, default=_sort_key_default)
    media_key: Mapped[str | None] = mapped_column(String(64), index=True)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    frame_count: Mapped[int | None] = mapped_column(Integer)
    fps: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    split: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="new")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Review: who labelled the item (a rejected item goes back to them), and the last review decision.
    annotator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    # Who should label it next (migration 0007; no foreign key there, see its note).
    assignee_id: Mapped[int | None] = mapped_column(Integer, default=None)
    # Consensus: how many people label it independently before their labels are merged (0: an ordinary item).
    overlap: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    review_comment: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @validates("name")
    def _keep_sort_key(self, _key: str, name: str) -> str:
        self.sort_key = natural_key(name)
        return name


class Annotation(Base):
    """One label on an item. ``project_id`` is copied from the item so filters and stats need no join.

    It has no foreign key of its own (migration 0004): the item's key already ties the annotation to a project
    (deleting a project deletes its items, and they their annotations), the services always copy the item's
    project, and the extra per-row check cost PostgreSQL about 1 s of a 100k-item, 300k-box import.
    """

    __tablename__ = "annotations"
    __table_args__ = (
        Index("ix_ann_item", "item_id"),
        Index("ix_ann_project_label_item", "project_id", "label", "item_id"),
        Index("ix_ann_project_source_item", "project_id", "source", "item_id"),
        Index("ix_ann_project_state_item", "project_id", "state", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    geometry: Mapped[dict[str, Any]] = mapped_column(default=dict)
    frame: Mapped[int | None] = mapped_column(Integer)
    track_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="human")
    model_version: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), default="accepted")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_id", "status", "id"),
        Index("ix_jobs_project_id", "project_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonType, default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(JsonType, default=None)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEvent(Base):
    """One write: who, what, which object, when. ``project_id`` has no foreign key on purpose, so a project's
    history outlives the project."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_project_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    project_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ModelVersion(Base):
    """One trained (or registered) assist model of a project: what it learnt from, how, and how well.

    ``name`` is the model line (``text-classifier``, ``detector``...), ``version`` counts up within it.
    ``data`` records the training set (annotation ids and their hash), ``artifacts`` the files under
    ``HOME/models`` (state dict, TorchScript or ONNX export), relative to that folder.
    """

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("project_id", "name", "version", name="uq_model_versions_project_name_version"),
        Index("ix_model_versions_project_id", "project_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="training")
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str | None] = mapped_column(String(16), default=None)
    seed: Mapped[int | None] = mapped_column(Integer, default=None)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    artifacts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectAssist(Base):
    """A project's assist settings (auto-accept bands, retrain interval, queue strategy, active model) and
    the count of accepted human labels at the last training, which the retrain trigger compares against."""

    __tablename__ = "project_assist"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    labels_at_last_train: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Embedding(Base):
    """One item's vector in one embedding space (an embedder name), with the embedder's version and the hash
    of the content it was computed from, so an embedding job only recomputes new or changed items.
    ``vector`` is little-endian float32; the per-project vector index is built from these rows."""

    __tablename__ = "embeddings"
    __table_args__ = (
        UniqueConstraint("project_id", "space", "item_id", name="uq_embeddings_project_space_item"),
        Index("ix_embeddings_project_space_id", "project_id", "space", "id"),
        Index("ix_embeddings_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    space: Mapped[str] = mapped_column(String(200))
    embedder_version: Mapped[str] = mapped_column(String(200))
    source_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# The tables of migrations 0007, 0010 and 0011 live in their own modules; importing them here registers them on
# Base.metadata.
from labelhub.storage import federated_models as federated_models  # noqa: E402
from labelhub.storage import team_models as team_models  # noqa: E402
from labelhub.storage import undo_models as undo_models  # noqa: E402
