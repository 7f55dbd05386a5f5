"""Assignment: who labels what (managers), and the team's workload."""

from __future__ import annotations

from fastapi import APIRouter

from labelhub.api.assignment_schemas import (
    AssignedPublic,
    AssigneeCountPublic,
    AssignIn,
    MemberLoadPublic,
    WorkloadPublic,
)
from labelhub.api.deps import ActorDep, HubDep
from labelhub.services import assignment
from labelhub.services.workload import workload

router = APIRouter(prefix="/projects/{project_id}", tags=["assignment"])


@router.post("/items/assign", response_model=AssignedPublic)
def assign_items(project_id: int, body: AssignIn, actor: ActorDep, hub: HubDep) -> AssignedPublic:
    """Assign items to one member, split them evenly among several, or take their assignments off (managers)."""
    selection = assignment.Selection(
        item_ids=body.item_ids,
        filter=body.filter.to_filter(actor) if body.filter is not None else None,
        open_only=body.open_only,
    )
    with hub.db.session(write=True) as s:
        r = assignment.assign_items(s, actor, project_id, selection, body.user_ids, body.mode)
    return AssignedPublic(
        items=r.items,
        changed=r.changed,
        mode=r.mode,
        assignees=[AssigneeCountPublic(user_id=u, username=r.names[u], count=n) for u, n in r.counts.items()],
        unassigned=r.unassigned,
    )


@router.get("/workload", response_model=WorkloadPublic)
def get_workload(project_id: int, actor: ActorDep, hub: HubDep) -> WorkloadPublic:
    """Per member: items assigned and open, labelled, approved and returned; and the unassigned open items."""
    with hub.db.session() as s:
        w = workload(s, actor, project_id)
    return WorkloadPublic(
        members=[MemberLoadPublic.model_validate(m, from_attributes=True) for m in w.members],
        unassigned_open=w.unassigned_open,
    )
