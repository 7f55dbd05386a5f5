"""Enumerations shared by every layer; their string values are what the database and the API store."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A member's role in one project, from least to most powerful."""

    VIEWER = "viewer"
    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"
    MANAGER = "manager"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def at_least(self, other: Role) -> bool:
        """True when this role includes every right of ``other``."""
        return self.rank >= other.rank


_ROLE_RANK = {r: i for i, r in enumerate(Role)}


class ItemKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    TEXT = "text"
    VOLUME = "volume"


class ItemStatus(StrEnum):
    """Where an item stands in the labelling workflow."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    LABELED = "labeled"
    REVIEWED = "reviewed"
    REJECTED = "rejected"


class AnnotationKind(StrEnum):
    BOX = "box"
    POLYGON = "polygon"
    MASK = "mask"
    KEYPOINTS = "keypoints"
    CLASS = "class"
    SPAN = "span"
    TRACK_BOX = "track_box"


class Source(StrEnum):
    HUMAN = "human"
    MODEL = "model"


class AnnotationState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class ProjectCreators(StrEnum):
    """Who may create projects on a server (``LABELHUB_PROJECT_CREATORS``)."""

    EVERYONE = "everyone"
    ADMINS = "admins"
