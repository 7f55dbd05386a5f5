"""What each role may do in a project. The API checks every route against this table."""

from __future__ import annotations

from enum import StrEnum

from labelhub.domain.enums import Role


class Action(StrEnum):
    READ = "read"
    ANNOTATE = "annotate"
    REVIEW = "review"
    IMPORT = "import"
    EXPORT = "export"
    MANAGE_MEMBERS = "manage_members"
    EDIT_PROJECT = "edit_project"
    DELETE_PROJECT = "delete_project"
    # Assist models and search: training, pre-labelling and the project's assist settings are a manager's;
    # computing embeddings (a heavy job) too; searching is reading.
    TRAIN_MODEL = "train_model"
    PRELABEL = "prelabel"
    EMBED = "embed"
    # Reading the project's audit log (who changed what): managers and owners; the whole log is for admins.
    AUDIT = "audit"
    # Who labels what (item assignment) and the team's workload: a manager's.
    ASSIGN = "assign"
    # Putting items under consensus (k people label each independently) and forcing a merge: a manager's.
    CONSENSUS = "consensus"


MINIMUM_ROLE: dict[Action, Role] = {
    Action.READ: Role.VIEWER,
    Action.ANNOTATE: Role.ANNOTATOR,
    Action.REVIEW: Role.REVIEWER,
    Action.IMPORT: Role.MANAGER,
    Action.EXPORT: Role.MANAGER,
    Action.MANAGE_MEMBERS: Role.MANAGER,
    Action.EDIT_PROJECT: Role.MANAGER,
    Action.DELETE_PROJECT: Role.OWNER,
    Action.TRAIN_MODEL: Role.MANAGER,
    Action.PRELABEL: Role.MANAGER,
    Action.EMBED: Role.MANAGER,
    Action.AUDIT: Role.MANAGER,
    Action.ASSIGN: Role.MANAGER,
    Action.CONSENSUS: Role.MANAGER,
}


def allows(role: Role | None, action: Action, *, is_admin: bool = False) -> bool:
    """True when a member with ``role`` (None: not a member) may perform ``action``; admins may do anything."""
    if is_admin:
        return True
    return role is not None and role.at_least(MINIMUM_ROLE[action])
