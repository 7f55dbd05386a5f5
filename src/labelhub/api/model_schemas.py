"""Request and response bodies of the assist model routes (see docs/api.md, "Assist models")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from labelhub.api.strict import StrictIn

TrainableKind = Literal["text_classifier", "image_classifier", "volume_segmenter"]
Mode = Literal["sgd", "swa", "swag"]


class ModelDataPublic(BaseModel):
    count: int = 0
    hash: str | None = None


class ModelVersionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    name: str
    kind: str
    version: int
    status: Literal["training", "ready", "failed", "pruned"] = Field(
        description="pruned: the retention setting (keep_versions) removed its files; the row and metrics stay"
    )
    active: bool
    mode: Mode | None
    seed: int | None
    params: dict[str, Any]
    data: ModelDataPublic = Field(description="The training labels: how many, and the hash of (id, version, label)")
    metrics: dict[str, Any] = Field(description="accuracy, nll, ece, temperature, per_class; report after evaluation")
    artifacts: dict[str, Any] = Field(
        description="Files under HOME/models: state (model.pt), onnx (head.onnx); empty once pruned"
    )
    job_id: int | None
    created_at: datetime


class PrunedVersionPublic(BaseModel):
    id: int
    name: str
    version: int
    bytes: int = Field(description="Size of the files removed")


class PruneResultPublic(BaseModel):
    keep_versions: int = Field(description="The project's setting that was applied")
    pruned_ids: list[int] = Field(description="The versions whose files were removed, oldest first")
    bytes_freed: int
    pruned: list[PrunedVersionPublic]


class OpenClipBackbone(StrictIn):
    model: str = Field(description="open_clip architecture name or the path of its config JSON")
    pretrained: str = Field(description="Checkpoint file (or folder holding one) on the server")
    text_model_dir: str | None = None


class TrainIn(StrictIn):
    kind: TrainableKind
    name: str | None = Field(default=None, min_length=1, max_length=100, description="Model line; default per kind")
    mode: Mode = "swag"
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    epochs: int | None = Field(default=None, ge=1, le=10_000)
    held_out: float = Field(default=0.1, ge=0.0, le=0.5, description="Share of labels kept out to fit the temperature")
    open_clip: OpenClipBackbone | None = Field(default=None, description="Image backbone; default: ssl, else a CNN")
    text_encoder: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Text classifier only: the folder on the server of a pretrained sentence-transformers (or "
        "Hugging Face) encoder whose vectors join the n-gram features; default: n-grams alone",
    )
    prelabel: bool = Field(
        default=False, description="When the version is ready, queue pre-labelling of the unlabelled items with it"
    )
    activate: bool | None = Field(
        default=None,
        description="true: the new version becomes the active model; false: it does not (try a variant beside the "
        "live one); null: it does when nothing is active or the active one is of its line (a retraining)",
    )


class PerClassPublic(BaseModel):
    label: str
    precision: float
    recall: float
    f1: float
    support: int


class ReliabilityBinPublic(BaseModel):
    lo: float
    hi: float
    count: int
    accuracy: float | None
    confidence: float | None


class AcceptedUnchangedPublic(BaseModel):
    proposals: int = Field(description="Proposals of this version still stored, edited ones included")
    reviewed: int = Field(0, description="Proposals a person accepted, rejected, relabelled or reshaped")
    accepted_unchanged: int = Field(description="Reviewed proposals accepted as the model gave them")
    auto_accepted: int = Field(0, description="Accepted by the project's band and never reviewed")
    share: float | None = Field(description="accepted_unchanged / reviewed: the work the model saved")


class DetectionClassPublic(BaseModel):
    label: str
    ap50: float = Field(description="Average precision at IoU 0.5 (COCO's 101-point interpolation)")
    ap50_95: float = Field(description="Average precision averaged over IoU 0.5:0.95")
    true_boxes: int
    predicted_boxes: int


class NotScoredPublic(BaseModel):
    classes: int = Field(description="Classes with human boxes that the model cannot propose")
    true_boxes: int
    examples: list[str] = Field(description="Up to 20 of those classes, most boxes first")


class DetectionPublic(BaseModel):
    images: int = Field(description="Images with accepted human boxes")
    true_boxes: int = Field(description="Human boxes of the classes the model proposes (the ones scored)")
    predicted_boxes: int
    classes: list[str] = Field(description="The classes mAP is averaged over")
    per_class: list[DetectionClassPublic]
    not_scored: NotScoredPublic


class SegmentationClassPublic(BaseModel):
    label: str
    volumes: int = Field(description="Volumes whose labelled slices hold this class (the per-volume figures' count)")
    dice_mean: float | None = Field(description="3-D Dice on the labelled slices, mean over those volumes")
    dice_std: float | None = Field(description="Its population standard deviation over those volumes")
    iou_mean: float | None
    iou_std: float | None
    dice_pooled: float | None = Field(description="Dice of the voxels of every volume counted together")
    iou_pooled: float | None
    true_voxels: int
    predicted_voxels: int


class SegmentationVolumePublic(BaseModel):
    item_id: int
    name: str
    slices: int = Field(description="Labelled slices compared")
    dice: list[float | None] = Field(description="Per class, in `classes` order; null where it has no human mask")
    iou: list[float | None]
    mean_dice: float | None


class SegmentationExamplePublic(BaseModel):
    which: Literal["worst", "best"]
    item_id: int
    name: str
    slice: int = Field(description="The middle labelled slice holding a human mask")
    mean_dice: float | None
    truth: dict[str, dict[str, Any]] = Field(description="Human mask per class (compressed COCO RLE)")
    predicted: dict[str, dict[str, Any]] = Field(description="The model's mask per class")


class SegmentationPublic(BaseModel):
    volumes: int
    slices: int = Field(description="Labelled slices compared, in all")
    classes: list[str]
    per_class: list[SegmentationClassPublic]
    per_volume: list[SegmentationVolumePublic] = Field(description="Worst mean Dice first")
    examples: list[SegmentationExamplePublic]


class ReportPublic(BaseModel):
    kind: str
    n: int
    classes: list[str]
    accuracy: float | None = None
    per_class: list[PerClassPublic]
    confusion: list[list[int]] = Field(description="Rows: human label; columns: the model's; in `classes` order")
    reliability: list[ReliabilityBinPublic]
    ece: float | None
    accepted_unchanged: AcceptedUnchangedPublic
    on_training_data: bool = Field(default=False, description="True when no label outside training was left")
    map50: float | None = None
    map50_95: float | None = None
    detection: DetectionPublic | None = Field(None, description="Boxes: what mAP was computed on, AP per class")
    mean_dice: float | None = Field(None, description="Masks: the mean over classes of each class's mean Dice")
    segmentation: SegmentationPublic | None = Field(None, description="Masks: Dice and IoU per class and volume")
    excluded_volumes: int | None = Field(None, description="Masks: volumes left out, the version trained on them")
    not_scored: list[str] | None = Field(None, description="Masks: classes with human masks the model does not output")
