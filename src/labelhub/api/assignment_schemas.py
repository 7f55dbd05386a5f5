"""Bodies of the assignment routes: assigning items (by id or by the item list's filters) and the workload."""

from __future__ import annotations

from pydantic import BaseModel, Field

from labelhub.api.strict import StrictIn
from labelhub.domain.assignment import AssignMode
from labelhub.domain.enums import AnnotationState, ItemKind, ItemStatus, Role, Source
from labelhub.services.access import Actor
from labelhub.services.assignment import MAX_ASSIGNEES, MAX_IDS, parse_assignee
from labelhub.services.items import ItemFilter


class ItemFilterIn(StrictIn):
    """The item list's filters (``GET .../items``' query), as a body: the same names, the same meaning."""

    status: ItemStatus | None = None
    kind: ItemKind | None = None
    split: str | None = None
    label: str | None = None
    source: Source | None = None
    state: AnnotationState | None = None
    min_score: float | None = Field(default=None, ge=0, le=1)
    max_score: float | None = Field(default=None, ge=0, le=1)
    q: str | None = Field(default=None, max_length=200)
    tag: str | None = Field(default=None, max_length=64)
    unlabeled: bool = False
    attribute: str | None = Field(default=None, max_length=100)
    attribute_value: str | None = Field(default=None, max_length=1000)
    annotator: str | None = Field(default=None, pattern=r"^(me|[0-9]{1,9})$", description="A user id, or `me`")
    assignee: str | None = Field(default=None, max_length=40, description="A user id, `me`, or `none`")
    order: str | None = Field(default=None, description="Ignored (the list's sort narrows nothing)")

    def to_filter(self, actor: Actor) -> ItemFilter:
        """The service's filter; ``me`` is ``actor``. A bad ``assignee`` is a ValidationError naming it."""
        assignee_id, unassigned = parse_assignee(self.assignee, actor)
        me = actor.user_id or 0
        return ItemFilter(
            status=self.status,
            kind=self.kind,
            split=self.split,
            label=self.label,
            source=self.source,
            state=self.state,
            min_score=self.min_score,
            max_score=self.max_score,
            q=self.q,
            tag=self.tag,
            unlabeled=self.unlabeled,
            attribute=self.attribute,
            attribute_value=self.attribute_value,
            annotator_id=me if self.annotator == "me" else (int(self.annotator) if self.annotator else None),
            assignee_id=assignee_id,
            unassigned=unassigned,
        )


class AssignIn(StrictIn):
    """Which items (``item_ids`` or ``filter``, one of them) go to whom (``user_ids``; empty or null: nobody)."""

    item_ids: list[int] | None = Field(
        default=None, max_length=MAX_IDS, description="Items of the project (a selection); all or none are assigned"
    )
    filter: ItemFilterIn | None = Field(
        default=None, description="Instead of item_ids: every item the item list shows with these filters"
    )
    user_ids: list[int] | None = Field(
        default=None,
        max_length=MAX_ASSIGNEES,
        description="Active members who may label (annotators and above); empty or null takes the assignments off",
    )
    mode: AssignMode = Field(
        default=AssignMode.ONE,
        description="`one`: every item to the one member; `even`: split among the members, levelling their open"
        " load (items assigned and not labelled yet), each getting one run of the items in id order",
    )
    open_only: bool = Field(
        default=False, description="Only items not labelled yet (status new or in_progress), as the workload counts"
    )


class AssigneeCountPublic(BaseModel):
    user_id: int
    username: str
    count: int = Field(description="Items this call assigned to them")


class AssignedPublic(BaseModel):
    items: int = Field(description="Items the call changed the assignment of (selected)")
    changed: int = Field(description="Of them, items whose assignee is another than before")
    mode: str = Field(description="one, even or unassign")
    assignees: list[AssigneeCountPublic]
    unassigned: int = Field(description="Items left with nobody assigned (unassign)")


class MemberLoadPublic(BaseModel):
    user_id: int
    username: str
    role: Role | None = Field(description="Their role; null when no longer a member (their labels stay theirs)")
    active: bool
    open: int = Field(description="Assigned to them and not labelled yet (status new or in_progress)")
    labelled: int = Field(description="Labelled by them, waiting for review")
    reviewed: int = Field(description="Labelled by them and approved")
    returned: int = Field(description="Labelled by them, rejected and sent back to them")


class WorkloadPublic(BaseModel):
    members: list[MemberLoadPublic]
    unassigned_open: int = Field(description="Items nobody is assigned to and not labelled yet")
