"""Registering a model: a file that cannot run as a detector, an input_size the model does not take, and a label
mapping to a project class or from a model class that does not exist are refused on the field at fault, and
nothing is stored (QA image report, defects 2, 3 and 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.model_servers import text_project
from tests.onnx_models import build_all

from labelhub.domain.enums import ItemKind
from labelhub.domain.schema import LabelSchema
from labelhub.errors import LabelhubError, PermissionDenied, ValidationError
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.model_registration import register_model
from labelhub.services.projects import create_project
from labelhub.storage.models import AuditEvent, ModelVersion

SYSTEM = Actor.system()


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("onnx"))


def _project(hub: Hub, classes: tuple[str, ...] = ("person", "car", "bicycle")) -> int:
    with hub.db.session(write=True) as s:
        return create_project(s, SYSTEM, "street", item_kind=ItemKind.IMAGE,
                              schema=LabelSchema.from_names(classes)).id  # fmt: skip


def _register(hub: Hub, pid: int, path: Path, roots: list[Path] | None = None, **body: Any) -> ModelVersion:
    with hub.db.session(write=True) as s:
        return register_model(s, SYSTEM, pid, {"kind": "onnx_detector", "name": "det", "path": str(path), **body},
                              roots=roots if roots is not None else [path.parent])  # fmt: skip


def _refused(hub: Hub, pid: int, path: Path, error: type[LabelhubError] = ValidationError,
             **body: Any) -> LabelhubError:  # fmt: skip
    with pytest.raises(error) as exc:
        _register(hub, pid, path, **body)
    with hub.db.session() as s:  # nothing stored: no version (so none became active), no audit entry
        assert s.scalars(select(ModelVersion)).all() == []
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "model.register")).all() == []
    return exc.value


@pytest.mark.parametrize(
    ("model", "words"),
    [("classifier", ["output (1, 10) is not a detector's", "classifier"]),
     ("gray", ["model input is 1x1x64x64", "1x3xSxS", "3 channels"]),
     ("nonsquare", ["model input is 1x3x48x64", "square"])],
)  # fmt: skip
def test_a_file_that_cannot_run_as_a_detector_is_refused_on_path(
    hub: Hub, models: dict[str, Path], model: str, words: list[str]
) -> None:
    pid = _project(hub)
    err = _refused(hub, pid, models[model], labels={"0": "person"})
    assert err.context["field"] == "path"
    assert all(w in err.detail for w in words), err.detail


def test_an_input_size_the_model_does_not_take_is_refused(hub: Hub, models: dict[str, Path]) -> None:
    pid = _project(hub)
    err = _refused(hub, pid, models["toy"], labels={"0": "person"}, input_size=320)
    assert err.context["field"] == "input_size"
    assert "input_size 320 does not match the model's fixed input 64; leave input_size out or set it to 64" in (
        err.detail
    )


def test_without_input_size_the_models_own_is_stored(hub: Hub, models: dict[str, Path]) -> None:
    pid = _project(hub)
    mv = _register(hub, pid, models["toy"], labels={"0": "person", "car": "car"})
    assert (mv.params["input_size"], mv.params["labels"], mv.active) == (64, {"0": "person", "car": "car"}, True)


def test_a_mapping_to_a_class_the_project_lacks_is_refused(hub: Hub, models: dict[str, Path]) -> None:
    pid = _project(hub)
    err = _refused(hub, pid, models["toy"], labels={"0": "unicorn", "1": "car", "2": "pony"})
    assert err.context["field"] == "labels"
    assert "'unicorn', 'pony' are not classes of project street" in err.detail
    assert "person, car, bicycle" in err.detail


@pytest.mark.parametrize(("labels", "bad"), [({"99": "person"}, "model class 99"),
                                             ({"persn": "person"}, "model class 'persn'")])  # fmt: skip
def test_a_mapping_from_a_class_the_model_lacks_is_refused(
    hub: Hub, models: dict[str, Path], labels: dict[str, str], bad: str
) -> None:
    pid = _project(hub)
    err = _refused(hub, pid, models["toy"], labels=labels)
    assert err.context["field"] == "labels"
    assert bad in err.detail and "0 person, 1 car, 2 thing" in err.detail


def test_without_a_mapping_the_model_classes_the_project_has_are_mapped(hub: Hub, models: dict[str, Path]) -> None:
    pid = _project(hub)
    mv = _register(hub, pid, models["toy"])
    assert mv.params["labels"] == {"person": "person", "car": "car"}  # "thing" is no class of the project: skipped


def test_without_a_mapping_a_model_sharing_no_class_with_the_project_is_refused(
    hub: Hub, models: dict[str, Path]
) -> None:
    pid = _project(hub, ("cat", "dog"))
    err = _refused(hub, pid, models["toy"])
    assert err.context["field"] == "labels"
    assert "0 person, 1 car, 2 thing" in err.detail and "cat, dog" in err.detail


def test_a_path_outside_the_import_roots_is_refused_on_path(hub: Hub, models: dict[str, Path], tmp_path: Path) -> None:
    pid = _project(hub)
    err = _refused(hub, pid, models["toy"], PermissionDenied, roots=[tmp_path / "elsewhere"])
    assert err.context["field"] == "path" and "not inside an allowed import folder" in err.detail


@pytest.mark.parametrize("kind", ["http", "label_studio_ml"])
def test_a_remote_mapping_to_a_class_the_project_lacks_is_refused_without_asking_the_server(
    hub: Hub, kind: str
) -> None:
    pid, _ = text_project(hub, "remote", ["x p=0.5"])
    # Nothing listens there: the mapping is refused before the registration would look for the server.
    body = {"kind": kind, "name": "r", "url": "http://127.0.0.1:9", "labels": {"pos": "positive", "neg": "neg"}}
    with hub.db.session(write=True) as s, pytest.raises(ValidationError) as exc:
        register_model(s, SYSTEM, pid, body, roots=[])
    assert exc.value.context["field"] == "labels"
    assert "'positive' is not a class of project remote (classes: pos, neg)" in exc.value.detail
    with hub.db.session() as s:
        assert s.scalars(select(ModelVersion)).all() == []
