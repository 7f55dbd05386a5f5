"""What a detector registration checks in the ONNX file before storing it: the input (1x3xSxS, its size against
``input_size``), one dry run's output layout, and the label mapping's model classes (QA image report, defects 2
and 3: a classifier, a one-channel or non-square model and a wrong input_size were all accepted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.onnx_models import build_all

from labelhub.assist.detector import DetectorConfig
from labelhub.assist.detector_checks import DetectorInfo, check_mapping, inspect_detector
from labelhub.errors import ValidationError


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("onnx"))


def _inspect(path: Path, input_size: int | None = None) -> DetectorInfo:
    config = DetectorConfig(path=path, input_size=input_size or 640)
    return inspect_detector(config, size_given=input_size is not None)


def _refused(path: Path, input_size: int | None = None) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        _inspect(path, input_size)
    return exc.value


def test_a_classifier_is_refused_on_path_as_not_a_detector(models: dict[str, Path]) -> None:
    err = _refused(models["classifier"])
    assert err.context["field"] == "path"
    assert "output (1, 10) is not a detector's" in err.detail
    assert "(1, N, 5+C) or (1, 4+C, N)" in err.detail and "classifier" in err.detail


def test_a_one_channel_model_is_refused_naming_its_input(models: dict[str, Path]) -> None:
    err = _refused(models["gray"])
    assert err.context["field"] == "path"
    assert "model input is 1x1x64x64; a detector needs 1x3xSxS" in err.detail and "3 channels" in err.detail


def test_a_non_square_model_is_refused_naming_its_input(models: dict[str, Path]) -> None:
    err = _refused(models["nonsquare"])
    assert err.context["field"] == "path"
    assert "model input is 1x3x48x64" in err.detail and "square" in err.detail


def test_an_input_size_other_than_the_fixed_one_is_refused_on_input_size(models: dict[str, Path]) -> None:
    err = _refused(models["toy"], input_size=320)
    assert err.context["field"] == "input_size"
    assert "input_size 320 does not match the model's fixed input 64" in err.detail
    assert "leave input_size out or set it to 64" in err.detail


def test_a_fixed_input_size_is_taken_from_the_model(models: dict[str, Path]) -> None:
    info = _inspect(models["toy"])
    assert info.config.input_size == 64
    assert (info.names, info.n_classes) == (["person", "car", "thing"], 3)
    assert _inspect(models["toy"], input_size=64).config.input_size == 64


def test_a_dynamic_input_takes_the_size_given_or_the_default(models: dict[str, Path]) -> None:
    assert _inspect(models["toy_dynamic"], input_size=96).config.input_size == 96
    assert _inspect(models["toy_dynamic"]).config.input_size == 640


def test_both_layouts_and_a_model_without_names_pass(models: dict[str, Path]) -> None:
    v5 = _inspect(models["toy_v5"])
    assert (v5.n_classes, v5.output_shape) == (3, (1, 8, 8))
    unnamed = _inspect(models["toy_unnamed"])
    assert (unnamed.names, unnamed.n_classes) == (None, 3)


def test_names_metadata_that_does_not_fit_the_output_is_refused(models: dict[str, Path]) -> None:
    err = _refused(models["toy_80_names"])
    assert err.context["field"] == "path"
    assert "3 classes" in err.detail and "names metadata lists 80" in err.detail


@pytest.mark.parametrize(
    ("labels", "bad"),
    [({"99": "person"}, "model class 99"), ({"persn": "person"}, "model class 'persn'"),
     ({"0": "person", "-1": "car", "cars": "car"}, "model classes -1, 'cars'")],
)  # fmt: skip
def test_a_mapping_from_a_class_the_model_lacks_is_refused(
    models: dict[str, Path], labels: dict[str, str], bad: str
) -> None:
    info = _inspect(models["toy"])
    with pytest.raises(ValidationError) as exc:
        check_mapping(labels, info)
    assert exc.value.context["field"] == "labels"
    assert bad in exc.value.detail
    assert "the model's classes are 0 person, 1 car, 2 thing" in exc.value.detail


def test_a_mapping_by_index_or_name_passes(models: dict[str, Path]) -> None:
    check_mapping({"0": "person", "car": "vehicle", "2": "other"}, _inspect(models["toy"]))
    unnamed = _inspect(models["toy_unnamed"])
    check_mapping({"2": "other"}, unnamed)
    with pytest.raises(ValidationError, match=r"model class 'person' does not exist.*indices 0-2") as exc:
        check_mapping({"person": "person"}, unnamed)
    assert exc.value.context["field"] == "labels"
