"""Attribute declarations and the values annotations carry for them."""

from __future__ import annotations

import pytest

from labelhub.domain.attributes import AttributeSpec, check_specs, check_values
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ValidationError

CLASSES = ["car", "person"]
SPECS = (
    AttributeSpec("occluded", "bool", default=False),
    AttributeSpec("colour", "select", options=("red", "blue"), labels=("car",)),
    AttributeSpec("speed", "number"),
    AttributeSpec("note", "text"),
)


def _field(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(exc.value.context["field"])


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        (AttributeSpec(" ", "bool"), "attributes[0].name", "needs a name"),
        (AttributeSpec("keyframe", "bool"), "attributes[0].name", "reserved"),
        (AttributeSpec("size", "colour"), "attributes[0].type", "is not one of"),
        (AttributeSpec("size", "select"), "attributes[0].options", "needs options"),
        (AttributeSpec("size", "select", options=("s", "s")), "attributes[0].options", "listed twice: s"),
        (AttributeSpec("size", "text", options=("s",)), "attributes[0].options", "only a select"),
        (AttributeSpec("size", "text", labels=("truck",)), "attributes[0].labels", "'truck', which is not a class"),
        (AttributeSpec("size", "select", options=("s", "m"), default="xl"), "attributes[0].default", "'xl'"),
        (AttributeSpec("size", "number", default=True), "attributes[0].default", "must be a number"),
        (AttributeSpec("size", "bool", default="yes"), "attributes[0].default", "true or false"),
    ],
)
def test_a_declaration_that_cannot_be_used_is_refused_naming_its_field(
    spec: AttributeSpec, field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        check_specs([spec], CLASSES)
    assert _field(exc) == field and words in str(exc.value.detail)


def test_a_name_declared_twice_is_refused_at_the_second() -> None:
    with pytest.raises(ValidationError) as exc:
        check_specs([AttributeSpec("a"), AttributeSpec("b"), AttributeSpec("a", "bool")], CLASSES)
    assert _field(exc) == "attributes[0].name" and "declared twice" in str(exc.value.detail)


def test_good_values_pass_and_undeclared_keys_are_left_alone() -> None:
    check_specs(SPECS, CLASSES)
    values = {"occluded": True, "colour": "red", "speed": 3.5, "note": "dented", "coco_id": 17, "keyframe": True}
    check_values(SPECS, "car", values, "annotations[0]")
    check_values(SPECS, "person", {"speed": 2, "occluded": None, "colour": None}, "annotations[0]")


@pytest.mark.parametrize(
    ("label", "values", "field", "words"),
    [
        ("car", {"occluded": "yes"}, "annotations[3].attributes.occluded", "true or false"),
        ("car", {"speed": True}, "annotations[3].attributes.speed", "must be a number"),
        ("car", {"speed": float("nan")}, "annotations[3].attributes.speed", "finite"),
        ("car", {"colour": "green"}, "annotations[3].attributes.colour", "'green' is not one of red, blue"),
        ("car", {"note": 5}, "annotations[3].attributes.note", "must be text"),
        ("car", {"note": "x" * 1001}, "annotations[3].attributes.note", "longer than 1000"),
        ("person", {"colour": "red"}, "annotations[3].attributes.colour", "does not apply to label 'person'"),
    ],
)
def test_a_bad_value_is_refused_naming_the_annotation_and_attribute(
    label: str, values: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        check_values(SPECS, label, values, "annotations[3]")
    assert _field(exc) == field and words in str(exc.value.detail)


def test_an_unchanged_stored_value_is_not_checked_again_unless_the_label_changes() -> None:
    stored = {"colour": "green"}  # e.g. imported before "colour" was declared with these options
    check_values(SPECS, "car", {"colour": "green", "speed": 1}, "a", before=stored, label_before="car")
    with pytest.raises(ValidationError):
        check_values(SPECS, "person", {"colour": "green"}, "a", before=stored, label_before="car")
    with pytest.raises(ValidationError):
        check_values(SPECS, "car", {"colour": "pink"}, "a", before=stored, label_before="car")


def test_the_schema_json_round_trips_labels_and_defaults_and_reads_older_declarations() -> None:
    schema = LabelSchema.from_names(CLASSES)
    schema = LabelSchema(classes=schema.classes, kinds=schema.kinds, attributes=SPECS)
    again = LabelSchema.from_json(schema.to_json())
    assert again.attributes == SPECS
    old = LabelSchema.from_json({"classes": [], "attributes": [{"name": "pose", "type": "select", "options": ["a"]}]})
    assert old.attributes == (AttributeSpec("pose", "select", ("a",)),)


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        (AttributeSpec("coco_id", "text"), "attributes[0].name", "reserved"),
        (AttributeSpec("ls_rotation", "text"), "attributes[0].name", "reserved"),
        (AttributeSpec("track_id", "number"), "attributes[0].name", "reserved"),
        (AttributeSpec(" size", "text"), "attributes[0].name", "starts or ends with a space"),
        (AttributeSpec("size", "select", options=("s", " s")), "attributes[0].options", "starts or ends"),
        (AttributeSpec("size", "select", options=tuple(map(str, range(501)))), "attributes[0].options", "at most"),
        (AttributeSpec("size", "select", options=("x" * 201,)), "attributes[0].options", "longer than 200"),
        (AttributeSpec("size", "text", labels=("car", "car")), "attributes[0].labels", "listed twice"),
    ],
)
def test_names_formats_use_loose_spaces_and_oversized_declarations_are_refused(
    spec: AttributeSpec, field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        check_specs([spec], CLASSES)
    assert _field(exc) == field and words in str(exc.value.detail)


def test_a_project_declares_at_most_100_attributes_and_occluded_stays_declarable() -> None:
    check_specs([AttributeSpec("occluded", "bool"), AttributeSpec("truncated", "bool")], CLASSES)
    with pytest.raises(ValidationError) as exc:
        check_specs([AttributeSpec(f"a{i}") for i in range(101)], CLASSES)
    assert _field(exc) == "attributes"


def test_a_number_must_be_one_a_browser_holds_exactly() -> None:
    check_values(SPECS, "car", {"speed": 2**53 - 1}, "a")
    with pytest.raises(ValidationError) as exc:
        check_values(SPECS, "car", {"speed": 10**20}, "a")
    assert "must be between" in str(exc.value.detail)


def test_a_relabel_keeps_an_unchanged_stored_value_that_applies_to_the_new_label_however_it_looks() -> None:
    stored = {"occluded": "yes"}  # imported as text before "occluded" was declared a bool; it applies to every class
    check_values(SPECS, "person", {"occluded": "yes"}, "a", before=stored, label_before="car")
