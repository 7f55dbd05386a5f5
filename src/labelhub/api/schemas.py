"""Request and response bodies. Every route declares a ``*Public`` response model, so rows never leak."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from labelhub.api.strict import StrictIn
from labelhub.domain.enums import (
    AnnotationKind,
    AnnotationState,
    ItemKind,
    ItemStatus,
    JobStatus,
    Role,
    Source,
)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- auth and users -----------------------------------------------------------------------------------------
class LoginIn(StrictIn):
    username: str
    password: str


class UserPublic(_Out):
    id: int
    username: str
    is_admin: bool
    is_active: bool
    created_at: datetime


class CurrentUserPublic(UserPublic):
    """The logged-in user, with what the server lets them do beyond their project roles."""

    can_create_projects: bool


class SessionPublic(BaseModel):
    """Who the request's session cookie or token belongs to; ``user`` is None when nobody is logged in."""

    user: CurrentUserPublic | None


class UserBrief(BaseModel):
    id: int
    username: str


class UserCreate(StrictIn):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8)
    is_admin: bool = False


class UserUpdate(StrictIn):
    password: str | None = Field(default=None, min_length=8)
    is_admin: bool | None = None
    is_active: bool | None = None


class TokenCreate(StrictIn):
    name: str = Field(min_length=1, max_length=128)
    days: int | None = Field(default=None, ge=1, le=3650, description="Lifetime; none means no expiry")


class TokenPublic(_Out):
    id: int
    name: str
    created_at: datetime | None = None
    expires_at: datetime | None = None


class TokenIssued(BaseModel):
    id: int
    name: str
    token: str = Field(description="Shown once; only its hash is stored")
    expires_at: datetime | None


# --- projects -----------------------------------------------------------------------------------------------
class LabelClassIn(StrictIn):
    name: str = Field(min_length=1, max_length=200)
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    hotkey: str | None = Field(default=None, min_length=1, max_length=1)
    keypoints: list[str] = Field(
        default=[],
        max_length=100,
        description="The named points a keypoints annotation of this class holds, in its x,y,v triples' order; "
        "empty: keypoints annotations of any length",
    )
    skeleton: list[tuple[int, int]] = Field(
        default=[], description="Edges drawn between the keypoints, as 0-based index pairs into keypoints"
    )


class AttributeIn(StrictIn):
    """An attribute annotations may carry (checked on every save; see docs/concepts.md, "Attributes")."""

    name: str = Field(min_length=1, max_length=100)
    type: Literal["text", "number", "bool", "select"] = "text"
    options: list[str] = Field(default=[], description="The choices of a select attribute, in display order")
    labels: list[str] = Field(default=[], description="The classes it applies to; empty: every class")
    default: bool | int | float | str | None = Field(
        default=None, description="The value a new shape starts with in the editor; null: unset"
    )
    mutable: bool = Field(
        default=False,
        description="Video tracks: the value changes over the frames (set from a frame on); false: one value for "
        "the whole track",
    )


class ProjectCreate(StrictIn):
    name: str = Field(min_length=1, max_length=200)
    item_kind: ItemKind = ItemKind.IMAGE
    description: str = ""
    labels: list[LabelClassIn] = []
    kinds: list[AnnotationKind] | None = None
    attributes: list[AttributeIn] = []


class ClassRenameIn(StrictIn):
    """One class renamed: every annotation carrying ``from`` takes ``to``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from", min_length=1, max_length=200, description="The class's stored name")
    to: str = Field(min_length=1, max_length=200, description="Its new name, listed under labels (when sent)")


class ProjectUpdate(StrictIn):
    version: int = Field(description="The version you read; a stale one gets 409")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    labels: list[LabelClassIn] | None = None
    kinds: list[AnnotationKind] | None = None
    attributes: list[AttributeIn] | None = None
    renames: list[ClassRenameIn] = Field(
        default_factory=list,
        description="Classes renamed, in one transaction with the schema: their annotations (and the items' "
        "versions), the attributes' class lists and registered models' label mappings follow. Two renames may "
        "swap names. Without labels, the stored classes are kept under their new names",
    )


class ProjectPublic(_Out):
    id: int
    name: str
    description: str
    item_kind: ItemKind
    label_schema: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
    role: Role | None = Field(default=None, description="Your role in the project (none for admins)")


class MemberIn(StrictIn):
    role: Role


class MemberPublic(BaseModel):
    user_id: int
    username: str
    role: Role


# --- items and annotations ----------------------------------------------------------------------------------
class ItemPublic(_Out):
    id: int
    project_id: int
    kind: ItemKind
    name: str
    media_key: str | None
    width: int | None
    height: int | None
    frame_count: int | None
    fps: float | None
    text: str | None
    meta: dict[str, Any]
    split: str | None
    status: ItemStatus
    version: int
    annotator_id: int | None = Field(
        default=None, description="Who labelled the item; a rejected item goes back to them"
    )
    reviewer_id: int | None = Field(default=None, description="Who made the last review decision")
    assignee_id: int | None = Field(default=None, description="Who should label it (null: nobody assigned)")
    assignee_username: str | None = Field(default=None, description="The assignee's username")
    reviewed_at: datetime | None = None
    review_comment: str | None = Field(default=None, description="The reviewer's comment, e.g. why it was rejected")
    created_at: datetime
    updated_at: datetime
    annotation_count: int = Field(default=0, description="Annotations not rejected, a track counted once")
    overlap: int = Field(default=0, description="How many people label it independently (0: an ordinary item)")
    consensus_submitted: int | None = Field(
        default=None, description="Under consensus (item lists): how many people submitted their labels so far"
    )


class ItemPagePublic(BaseModel):
    """A page of items, and how many match the filters in all when ``with_total`` asked for it."""

    items: list[ItemPublic]
    next_after: int | None = Field(
        description="The page's last item: pass as ?after= (with the same order) for the next page; null on the last"
        " page, and always null on a page read with before / before_name"
    )
    total: int | None = Field(default=None, description="Items matching the filters (null unless with_total)")
    total_counted_at: datetime | None = Field(
        default=None, description="When `total` was counted (ISO, UTC); null unless with_total"
    )
    total_cached: bool = Field(
        default=False,
        description="Whether `total` was counted by an earlier call: a big list's total is kept until the project's"
        " next write (as /stats keeps a project's counts); `fresh_total=true` counts again",
    )
    position: int | None = Field(
        default=None,
        description="How many items matching the filters come before `position_of` in the order (null unless asked)",
    )


class ReviewIn(StrictIn):
    approve: bool
    comment: str = Field(default="", max_length=2000)
    version: int | None = Field(
        default=None, description="The item version the reviewer looked at: 409 when someone saved since"
    )


class AnnotationIn(StrictIn):
    echoed = frozenset({"item_id", "author_id", "reviewed_by", "version", "created_at", "updated_at"})

    id: int | None = Field(default=None, description="Set for an annotation that already exists")
    kind: AnnotationKind
    label: str | None = None
    geometry: dict[str, Any] = {}
    frame: int | None = Field(default=None, ge=0)
    track_id: int | None = None
    source: Source | None = Field(default=None, description="Omit to keep an existing annotation's source (new: human)")
    model_version: str | None = None
    score: float | None = None
    state: AnnotationState | None = Field(default=None, description="Omit to keep the state (new: by source)")
    attributes: dict[str, Any] = {}


class AnnotationPublic(_Out):
    id: int
    item_id: int
    kind: AnnotationKind
    label: str | None
    geometry: dict[str, Any]
    frame: int | None
    track_id: int | None
    source: Source
    model_version: str | None
    score: float | None
    state: AnnotationState
    attributes: dict[str, Any]
    author_id: int | None
    reviewed_by: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class AnnotationsPut(StrictIn):
    echoed = frozenset({"item_id"})  # of AnnotationsPublic, so a GET's answer can be sent back as it is

    version: int = Field(description="The item version you read; a stale one gets 409 and nothing is written")
    annotations: list[AnnotationIn]
    status: ItemStatus | None = None


class ConsensusStatePublic(BaseModel):
    """Set while the item is labelled by several people: the annotations are the caller's own (``version`` is
    theirs), nobody else's are shown, and saving with status labeled submits them."""

    overlap: int = Field(description="How many people label the item independently")
    submitted_count: int = Field(description="How many of them submitted their labels")
    you_submitted: bool
    merged: bool = Field(default=False, description="This save was the last one: the item is merged now")


class AnnotationsPublic(BaseModel):
    item_id: int
    version: int
    annotations: list[AnnotationPublic]
    consensus: ConsensusStatePublic | None = None


# --- jobs, import, export -----------------------------------------------------------------------------------
class JobPublic(_Out):
    id: int
    kind: str
    project_id: int | None
    status: JobStatus
    progress: float
    message: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    cancel_requested: bool
    created_by: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportIn(StrictIn):
    source: str = Field(description="A path on the server, inside one of LABELHUB_IMPORT_ROOTS")
    format: str = "auto"
    media: Literal["copy", "link", "none"] = "copy"
    skip_invalid: bool = False
    images_dir: str | None = None
    split: str | None = Field(default=None, description="0.8/0.1/0.1, train=0.7,val=0.3, or field:NAME")
    seed: int = 0
    options: dict[str, str] = Field(default_factory=dict, description="Format options, e.g. text_column")


class ExportIn(StrictIn):
    format: str
    filename: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]{1,100}$",
        description="A plain file name: letters, digits, '.', '_' and '-', not starting with '.'",
    )
    states: list[AnnotationState] = [AnnotationState.ACCEPTED]
    copy_media: bool = False
    split: str | None = Field(default=None, description="0.8/0.1/0.1, train=0.7,val=0.3, or field:NAME")
    seed: int = 0
    options: dict[str, str] = Field(default_factory=dict, description="Format options, e.g. shard_size")

    @field_validator("filename")
    @classmethod
    def _plain_file_name(cls, value: str | None) -> str | None:
        # ``.`` and ``..`` name folders, and a leading dot hides the file (the export's own temporary files start so).
        if value is not None and value.startswith("."):
            raise ValueError(f"{value!r} is not a plain file name: it must not start with '.' (nor be '.' or '..')")
        return value


class FormatPublic(BaseModel):
    name: str
    title: str
    item_kinds: list[ItemKind] = Field(description="Kinds of item it holds, imported and exported")
    export_kinds: list[ItemKind] = Field(description="Kinds of item its export writes (COCO: video too)")
    can_import: bool
    can_export: bool


class ItemsDeleteIn(StrictIn):
    item_ids: list[int] = Field(min_length=1, max_length=10_000, description="Items of the project; all or none go")


class ItemsDeletedPublic(BaseModel):
    deleted: int = Field(description="Items deleted, with their annotations, tracks and embeddings")


class AcceptProposalsIn(StrictIn):
    item_ids: list[int] = Field(min_length=1, max_length=10_000)
    min_score: float | None = Field(default=None, ge=0, le=1, description="Only proposals scoring at least this")
    label: str | None = Field(default=None, min_length=1, max_length=200, description="Only proposals of this class")
    model_version: str | None = Field(
        default=None, min_length=1, max_length=200, description="Only this version's proposals (`name@version`)"
    )
    reject: bool = Field(default=False, description="Reject the proposals instead; the items keep their status")
    dry_run: bool = Field(default=False, description="Count what would change; write nothing")


class AcceptedProposalsPublic(BaseModel):
    items: int = Field(description="Items with at least one proposal accepted")
    accepted: int = Field(description="Proposals accepted")
    skipped: int = Field(description="Class proposals left open: their item already has an accepted class label")
    rejected: int = Field(0, description="Proposals rejected (with `reject`)")
