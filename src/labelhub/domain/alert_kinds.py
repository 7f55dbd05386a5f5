"""The kinds of alert rule a project can have: what each one watches, its parameters with their defaults and
bounds, and how bad an alert of that kind is. Pure data and validation; the checks that read the database are
in :mod:`labelhub.services.alert_checks`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from labelhub.errors import ValidationError

__all__ = ["KINDS", "AlertKind", "ParamSpec", "RuleKind", "Severity", "rule_kind", "validate_params"]


class AlertKind(StrEnum):
    REJECTION_RATE = "rejection_rate"
    REJECTED_AGAIN = "rejected_again"
    JOB_FAILED = "job_failed"
    REVIEW_BACKLOG = "review_backlog"
    MODEL_DISAGREEMENT = "model_disagreement"


class Severity(StrEnum):
    """How urgent an alert is, from least to most."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of a rule kind: its type (``int`` or ``float``), default, inclusive bounds and what it means."""

    name: str
    type: type[int] | type[float]
    default: int | float
    minimum: int | float
    maximum: int | float
    description: str

    def read(self, raw: object) -> int | float:
        """The value as this parameter's type; ValidationError naming ``params.<name>`` when it is not one, or out
        of bounds."""
        where = f"params.{self.name}"
        # bool is an int to Python, never a count or a share to a person.
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValidationError(f"{where} must be a number, not {raw!r}", field=where)
        if self.type is int:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValidationError(f"{where} must be a whole number, not {raw!r}", field=where)
            value: int | float = int(raw)
        else:
            value = float(raw)
        if not self.minimum <= value <= self.maximum:
            raise ValidationError(
                f"{where} must be between {self.minimum} and {self.maximum}, not {raw!r}", field=where
            )
        return value


Check = Callable[[Mapping[str, int | float]], None]


def _no_check(_params: Mapping[str, int | float]) -> None:
    return None


@dataclass(frozen=True, slots=True)
class RuleKind:
    """A kind of alert rule: what it watches (``description``), who or what an alert is about (``subject``:
    annotator, item, job or project), its parameters, and ``check`` for a rule that spans parameters."""

    kind: AlertKind
    label: str
    description: str
    severity: Severity
    subject: str
    params: tuple[ParamSpec, ...] = ()
    check: Check = field(default=_no_check)

    def defaults(self) -> dict[str, int | float]:
        return {p.name: p.default for p in self.params}


def _min_reviews_within_window(params: Mapping[str, int | float]) -> None:
    if params["min_reviews"] > params["window"]:
        raise ValidationError(
            f"params.min_reviews ({params['min_reviews']}) cannot be more than params.window ({params['window']}): "
            "the window holds the reviews that count",
            field="params.min_reviews",
        )


_KINDS = (
    RuleKind(
        AlertKind.REJECTION_RATE,
        "Rejection rate",
        "An annotator's work is rejected too often: of their last `window` reviewed items, the share rejected "
        "reaches `threshold`, once at least `min_reviews` of their items have been reviewed. Checked at each "
        "rejection; the alert is about the annotator.",
        Severity.WARNING,
        "annotator",
        (
            ParamSpec("window", int, 20, 1, 1000, "How many of the annotator's latest reviewed items count"),
            ParamSpec(
                "threshold", float, 0.3, 0.01, 1.0, "The share of rejected items that raises the alert (0.3: 30 %)"
            ),
            ParamSpec("min_reviews", int, 10, 1, 1000, "Reviewed items needed before the rule judges an annotator"),
        ),
        _min_reviews_within_window,
    ),
    RuleKind(
        AlertKind.REJECTED_AGAIN,
        "Rejected again",
        "One item is rejected `count` times or more: the annotator and the reviewer may not agree on what is "
        "wanted. The alert is about the item.",
        Severity.WARNING,
        "item",
        (ParamSpec("count", int, 2, 2, 100, "Rejections of one item that raise the alert"),),
    ),
    RuleKind(
        AlertKind.JOB_FAILED,
        "Job failed",
        "A job of the project (an import, an export, a training, a pre-labelling run...) failed. The alert is "
        "about the job.",
        Severity.CRITICAL,
        "job",
    ),
    RuleKind(
        AlertKind.REVIEW_BACKLOG,
        "Review backlog",
        "Items waiting for review (status labeled) reach `count`. After someone acknowledges the alert it is not "
        "raised again for `cooldown_minutes`. The alert is about the project.",
        Severity.INFO,
        "project",
        (
            ParamSpec("count", int, 100, 1, 10_000_000, "Items waiting for review that raise the alert"),
            ParamSpec("cooldown_minutes", int, 60, 0, 10_080, "Quiet time after an acknowledgement, in minutes"),
        ),
    ),
    RuleKind(
        AlertKind.MODEL_DISAGREEMENT,
        "Model disagreement",
        "A reviewer approved an item whose accepted class differs from a model proposal scored at least "
        "`min_score`: a confident model and the reviewer disagree, one of them may be wrong. The alert is about "
        "the item.",
        Severity.INFO,
        "item",
        (ParamSpec("min_score", float, 0.95, 0.0, 1.0, "The model score from which a disagreement counts"),),
    ),
)
KINDS: Mapping[str, RuleKind] = {k.kind.value: k for k in _KINDS}


def rule_kind(kind: str) -> RuleKind:
    """The rule kind named ``kind``; ValidationError naming ``kind`` (and listing the kinds) when there is none."""
    found = KINDS.get(kind)
    if found is None:
        raise ValidationError(f"unknown alert rule kind {kind!r}; the kinds are: {', '.join(KINDS)}", field="kind")
    return found


def validate_params(kind: str, raw: Mapping[str, Any] | None) -> dict[str, int | float]:
    """The rule's parameters with every default filled in; ValidationError naming ``params.<name>`` for an unknown
    parameter or a bad value."""
    spec = rule_kind(kind)
    raw = raw or {}
    known = {p.name: p for p in spec.params}
    for name in raw:
        if name not in known:
            names = ", ".join(known) or "none"
            raise ValidationError(
                f"params.{name} is not a parameter of {kind} rules (its parameters: {names})", field=f"params.{name}"
            )
    params = {p.name: p.read(raw[p.name]) if p.name in raw else p.default for p in spec.params}
    spec.check(params)
    return params
