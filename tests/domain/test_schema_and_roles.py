"""The label schema's rules, and the role table every route is checked against."""

from __future__ import annotations

import pytest

from labelhub.domain.enums import AnnotationKind, Role
from labelhub.domain.permissions import Action, allows
from labelhub.domain.schema import LabelClass, LabelSchema
from labelhub.errors import ValidationError


def test_from_names_gives_colours_and_first_nine_hotkeys() -> None:
    schema = LabelSchema.from_names([f"c{i}" for i in range(11)])
    assert [c.hotkey for c in schema.classes] == [str(i) for i in range(1, 10)] + [None, None]
    assert all(c.color.startswith("#") and len(c.color) == 7 for c in schema.classes)


def test_schema_json_round_trip() -> None:
    schema = LabelSchema.from_names(["cat", "dog"], kinds=[AnnotationKind.BOX, AnnotationKind.CLASS])
    assert LabelSchema.from_json(schema.to_json()) == schema


def test_with_classes_appends_new_names_in_order_and_keeps_old_ones() -> None:
    schema = LabelSchema.from_names(["cat"]).with_classes(["dog", "cat", "bird", "dog"])
    assert schema.names == ["cat", "dog", "bird"]
    assert schema.classes[0] == LabelSchema.from_names(["cat"]).classes[0]


@pytest.mark.parametrize(
    ("classes", "field"),
    [
        ((LabelClass("a", "#ffffff"), LabelClass("a", "#000000")), "labels"),
        ((LabelClass("a", "red"),), "labels[0].color"),
        ((LabelClass("a", "#ffffff", "1"), LabelClass("b", "#000000", "1")), "labels.hotkey"),
        ((LabelClass("a", "#ffffff", "12"),), "labels[0].hotkey"),
        ((LabelClass(" ", "#ffffff"),), "labels[0].name"),
    ],
)
def test_bad_schema_names_the_field(classes: tuple[LabelClass, ...], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        LabelSchema(classes=classes)
    assert err.value.context["field"] == field


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.VIEWER, {Action.READ}),
        (Role.ANNOTATOR, {Action.READ, Action.ANNOTATE}),
        (Role.REVIEWER, {Action.READ, Action.ANNOTATE, Action.REVIEW}),
        (Role.MANAGER, set(Action) - {Action.DELETE_PROJECT}),
        (Role.OWNER, set(Action)),
        (None, set()),
    ],
)
def test_role_table(role: Role | None, allowed: set[Action]) -> None:
    assert {a for a in Action if allows(role, a)} == allowed


def test_admin_may_do_everything_without_membership() -> None:
    assert all(allows(None, a, is_admin=True) for a in Action)
