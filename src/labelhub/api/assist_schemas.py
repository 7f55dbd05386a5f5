"""Request and response bodies of the assist routes: settings, pre-labelling, the queue, registering a model
(see docs/api.md, "Assist: pre-labelling, bands and the queue")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from labelhub.api.strict import StrictIn

Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class AssistSettings(StrictIn):
    lower: Unit = Field(default=0.5, description="Proposals scoring below this are dropped")
    upper: Unit = Field(default=0.95, description="Proposals scoring above this are accepted (source model)")
    retrain_every: int | None = Field(default=50, ge=1, description="Retrain after this many new labels; null: never")
    strategy: str = Field(default="hybrid", description="Active-learning strategy of the queue")
    model_id: int | None = Field(default=None, description="The model to use; null: the project's active model")
    keep_versions: int = Field(
        default=5, ge=1, le=1000, description="Keep the files of the newest N versions per trained model line"
    )


class SuggestedBands(BaseModel):
    lower: float
    upper: float
    precision: float | None = Field(description="Precision of the accepted held-out proposals at these bands")
    share: float = Field(description="Share of the held-out proposals these bands accept")


class AssistPublic(BaseModel):
    settings: AssistSettings
    labels_since_train: int
    version: int
    suggested_bands: SuggestedBands | None = None


class AssistPut(StrictIn):
    settings: AssistSettings
    version: int = Field(description="The version you read; a stale one is refused with 409")


class PrelabelIn(StrictIn):
    model_id: int | None = Field(default=None, description="Default: the project's active model")
    only_unlabelled: bool = Field(default=True, description="Skip items that already have an accepted label")
    batch_size: int = Field(default=64, ge=1, le=1024)


class QueueItemPublic(BaseModel):
    id: int
    name: str
    kind: str
    score: float | None = Field(description="The strategy's score (higher: more worth labelling); null when random")
    reason: str
    text: str | None = Field(default=None, description="The start of a text item's text (up to 160 characters)")


class QueuePublic(BaseModel):
    strategy: str
    model_version: str | None
    items: list[QueueItemPublic]
    pool: int = Field(description="Unlabelled items the model ranked (at most 5,000, the lowest ids)")
    capped: bool = Field(description="True when there were more unlabelled items than were ranked")


class QueueNextPublic(BaseModel):
    item_id: int | None


class ModelRegisterIn(StrictIn):
    kind: Literal["onnx_detector", "label_studio_ml", "http"]
    name: str = Field(min_length=1, max_length=100)
    path: str | None = Field(default=None, description="onnx_detector: the .onnx file, inside LABELHUB_IMPORT_ROOTS")
    url: str | None = Field(default=None, description="label_studio_ml and http: the server's base URL")
    labels: dict[str, str] | None = Field(
        default=None, description="Model class (index or name) or server label -> project label; unmapped: skipped"
    )
    input_size: int = Field(default=640, ge=32, le=4096)
    score_threshold: Unit = 0.25
    iou_threshold: Unit = 0.45
    timeout: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(default=2, ge=0, le=10)
    label_config: str | None = Field(default=None, description="label_studio_ml: the labelling config XML sent along")
    image_url: str | None = Field(
        default=None, description="Template for an image task's URL ({item_id}, {name}, {path}); default: the file path"
    )
