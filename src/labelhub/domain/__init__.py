"""The plain domain layer: enums, geometry rules, the label schema and format records. No I/O."""

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import (
    AnnotationKind,
    AnnotationState,
    ItemKind,
    ItemStatus,
    JobStatus,
    Role,
    Source,
)
from labelhub.domain.geometry import validate_box, validate_geometry
from labelhub.domain.permissions import Action, allows
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.domain.schema import LabelClass, LabelSchema

__all__ = [
    "Action",
    "AnnotationKind",
    "AnnotationRecord",
    "AnnotationState",
    "AttributeSpec",
    "ItemKind",
    "ItemRecord",
    "ItemStatus",
    "JobStatus",
    "LabelClass",
    "LabelSchema",
    "Problem",
    "Role",
    "Source",
    "allows",
    "validate_box",
    "validate_geometry",
]
