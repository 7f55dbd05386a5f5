"""Models that run on another server: a Label Studio ML backend (kind ``label_studio_ml``) and labelhub's own
remote-model contract (kind ``http``, see ``docs/remote-models.md``).

Both send items in batches over HTTP with httpx. A request that times out, cannot connect or gets a 429/5xx
answer is tried again after an exponential back-off (``backoff * 2**attempt`` seconds, ``retries`` times);
when a batch still fails, a server that answered (an HTTP error) is asked item by item so one bad item does
not sink its neighbours, and a server that did not answer marks the batch's items with the error. Nothing
here raises for a remote failure: every item's :class:`Prediction` carries its own error, and the job goes on.

Label Studio's ``results`` are read by :mod:`labelhub.formats._label_studio_results` (the importer's reader
of the same objects): ``choices`` become class labels, ``rectanglelabels`` percent boxes become absolute
``x1, y1, x2, y2`` pixels, ``labels`` with ``start``/``end`` text spans, ``polygonlabels`` polygons.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from labelhub.assist.predictors import ItemInput, ModelRef, Prediction, Proposal, register_loader
from labelhub.domain.enums import AnnotationState, Source
from labelhub.errors import ValidationError
from labelhub.formats._label_studio_results import BadResult, Context, convert

__all__ = ["HttpModel", "LabelStudioML", "RemoteConfig", "RemoteFailure", "check_target", "post_json"]

LS_KIND = "label_studio_ml"
HTTP_KIND = "http"
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
# One message for every failed connection (refused, reset, closed without an answer): the socket's own words
# would tell a caller which ports of the server's network are open.
_UNREACHABLE = "cannot reach {url}: no model server answered there (connection failed or closed)"


@dataclass(frozen=True, slots=True)
class RemoteConfig:
    """Where the server is and how patient to be with it; ``labels`` maps the server's label names to the
    project's (unmapped labels are skipped; no mapping keeps the names as they are)."""

    url: str
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 0.5
    labels: Mapping[str, str] = field(default_factory=dict)
    label_config: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # An image task's data value: a template over item_id, name and path (default: the file's local path).
    image_url: str | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValidationError(f"url must start with http:// or https://, got {self.url!r:.80}", field="url")
        if not 0 < self.timeout <= 600:
            raise ValidationError(f"timeout must be within 0..600 seconds, got {self.timeout}", field="timeout")
        if not 0 <= self.retries <= 10:
            raise ValidationError(f"retries must be within 0..10, got {self.retries}", field="retries")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> RemoteConfig:
        """Build the config from a registered model version's params."""
        labels = params.get("labels") or {}
        if not isinstance(labels, Mapping):
            raise ValidationError("labels must map the server's label names to project labels", field="labels")
        return cls(
            url=str(params.get("url", "")).rstrip("/"),
            timeout=float(params.get("timeout", 30.0)),
            retries=int(params.get("retries", 2)),
            backoff=float(params.get("backoff", 0.5)),
            labels={str(k): str(v) for k, v in labels.items()},
            label_config=params.get("label_config"),
            headers=dict(params.get("headers") or {}),
            image_url=params.get("image_url"),
        )

    def map_label(self, label: str) -> str | None:
        return self.labels.get(label) if self.labels else label


def _refused_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local:
        return "a link-local address (169.254.0.0/16 or fe80::/10, where cloud metadata services answer)"
    if ip.is_unspecified:
        return "the unspecified address (0.0.0.0 or ::)"
    if ip.is_multicast:
        return "a multicast address"
    return None


def check_target(url: str) -> None:
    """Refuse (ValidationError on ``url``) a URL whose host is, or resolves to, a link-local, unspecified or
    multicast address: no model server lives there, and a cloud's metadata service does.

    Loopback and private addresses are allowed (Label Studio ML backends often run beside labelhub). A literal
    address is read without DNS; a name is resolved now, so a name that later resolves elsewhere is caught at the
    next request. A name that does not resolve passes: its request fails as unreachable.
    """
    try:
        host = httpx.URL(url).host
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValidationError(f"url is not a valid URL: {exc}", field="url") from None
    if not host:
        raise ValidationError(f"url {url!r:.80} names no host", field="url")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for ip in addresses:
        why = _refused_kind(ip)
        if why is not None:
            shown = host if str(ip) == host else f"{host} ({ip})"
            raise ValidationError(
                f"url {url!r:.200} leads to {shown}, {why}: labelhub sends no request there", field="url"
            )


class RemoteFailure(Exception):
    """A request that failed after its retries; ``answered`` is True when the server sent an HTTP error."""

    def __init__(self, message: str, *, answered: bool) -> None:
        super().__init__(message)
        self.answered = answered


def post_json(
    client: httpx.Client, url: str, body: Any, config: RemoteConfig, *, sleep: Callable[[float], None] = time.sleep
) -> Any:
    """POST ``body`` and return the decoded JSON answer, retrying as the module says; raise RemoteFailure."""
    try:
        check_target(url)  # every time: a name may resolve elsewhere than when the model was registered
    except ValidationError as exc:
        raise RemoteFailure(exc.detail, answered=False) from None
    last = ""
    answered = False
    for attempt in range(config.retries + 1):
        if attempt:
            sleep(config.backoff * 2 ** (attempt - 1))
        try:
            r = client.post(url, json=body, timeout=config.timeout, headers=dict(config.headers))
        except httpx.TimeoutException:
            last, answered = f"no answer from {url} within {config.timeout:g} s", False
            continue
        except httpx.TransportError:
            last, answered = _UNREACHABLE.format(url=url), False
            continue
        if r.status_code in _RETRY_STATUS:
            last, answered = f"{url} answered {r.status_code}: {r.text[:200]}", True
            continue
        if r.status_code >= 400:
            raise RemoteFailure(f"{url} answered {r.status_code}: {r.text[:200]}", answered=True)
        try:
            return r.json()
        except ValueError:
            msg = f"{url} answered with something that is not JSON: {r.text[:100]!r}"
            raise RemoteFailure(msg, answered=True) from None
    tries = config.retries + 1
    raise RemoteFailure(f"{last} (tried {tries} time{'s' if tries > 1 else ''})", answered=answered)


REACH_TIMEOUT = 5.0  # seconds a registration waits for the server to answer at all


def check_reachable(config: RemoteConfig, *, transport: httpx.BaseTransport | None = None) -> None:
    """Refuse (ValidationError on ``url``) a server nothing answers at, as Label Studio's "Add model" does, and
    a URL :func:`check_target` refuses.

    ``GET {url}/health`` (Label Studio ML backends answer it); any HTTP answer, even 404, shows a server is there.
    Only a failed connection or no answer within ``REACH_TIMEOUT`` seconds is refused; a failed connection with
    one message whatever the socket said (refused, reset, closed), so the answer does not tell open ports from
    closed ones.
    """
    check_target(config.url)
    url = config.url.rstrip("/") + "/health"
    try:
        with httpx.Client(transport=transport, timeout=min(config.timeout, REACH_TIMEOUT)) as client:
            client.get(url, headers=dict(config.headers))
    except httpx.TimeoutException:
        raise ValidationError(
            f"{config.url} did not answer within {min(config.timeout, REACH_TIMEOUT):g} s; is the "
            "model server running and reachable from the labelhub server?",
            field="url",
        ) from None
    except httpx.TransportError:
        # Worded so that it reads as the other failures do ("cannot reach URL ..."), whatever the socket said.
        raise ValidationError(
            f"cannot reach {config.url} (no model server answered there: connection failed or closed); is the "
            "model server running and reachable from the labelhub server?",
            field="url",
        ) from None


class _Batched:
    """The retry-then-split logic both remote kinds share; subclasses build a request and read its answer."""

    path = "/predict"

    def __init__(self, config: RemoteConfig, *, model_version: str = "", transport: httpx.BaseTransport | None = None):
        self.config = config
        self.model_version = model_version
        self._client = httpx.Client(transport=transport) if transport is not None else httpx.Client()
        self.classes: tuple[str, ...] = tuple(dict.fromkeys(config.labels.values()))

    def close(self) -> None:
        self._client.close()

    def request(self, items: Sequence[ItemInput]) -> Any:
        raise NotImplementedError

    def read(self, items: Sequence[ItemInput], answer: Any) -> list[Prediction]:
        raise NotImplementedError

    def predict(self, items: Sequence[ItemInput]) -> list[Prediction]:
        """Return one Prediction per item, in order; failures are per item, never raised."""
        if not items:
            return []
        url = self.config.url + self.path
        try:
            return self.read(items, post_json(self._client, url, self.request(items), self.config))
        except RemoteFailure as exc:
            if not exc.answered or len(items) == 1:
                return [Prediction(it.item_id, error=str(exc)) for it in items]
        except ValidationError as exc:  # an answer we cannot read as a whole
            if len(items) == 1:
                return [Prediction(items[0].item_id, error=exc.detail)]
        return [p for it in items for p in self.predict([it])]


def _ls_data(item: ItemInput, config: RemoteConfig) -> dict[str, Any]:
    if item.text is not None:
        return {"text": item.text}
    if config.image_url:
        value = config.image_url.format(item_id=item.item_id, name=item.name, path=item.path or "")
    else:
        value = str(item.path) if item.path is not None else ""
    return {"image": value}


class LabelStudioML(_Batched):
    """A Label Studio ML backend's ``/predict``: tasks in, one prediction (``result`` list) per task out."""

    def request(self, items: Sequence[ItemInput]) -> dict[str, Any]:
        body: dict[str, Any] = {"tasks": [{"id": it.item_id, "data": _ls_data(it, self.config)} for it in items]}
        if self.config.label_config:
            body["label_config"] = self.config.label_config
        return body

    def read(self, items: Sequence[ItemInput], answer: Any) -> list[Prediction]:
        results = answer.get("results") if isinstance(answer, dict) else answer
        if not isinstance(results, list) or len(results) != len(items):
            got = len(results) if isinstance(results, list) else type(results).__name__
            raise ValidationError(f"the backend answered {got} results for {len(items)} tasks", field="results")
        return [self._one(it, pred) for it, pred in zip(items, results, strict=True)]

    def _one(self, item: ItemInput, pred: Any) -> Prediction:
        if isinstance(pred, list):  # some backends answer the bare result list
            pred = {"result": pred}
        if not isinstance(pred, dict) or not isinstance(pred.get("result", []), list):
            return Prediction(item.item_id, error="the backend's prediction is not an object with a result list")
        # A proposal's score: its result's own, else the result value's, else the whole prediction's.
        score = _score(pred.get("score"))
        ctx = Context(origin=f"item {item.item_id}", width=item.width, height=item.height, text=item.text,
                      source=Source.MODEL, state=AnnotationState.PROPOSED, score=None,
                      model_version=self.model_version)  # fmt: skip
        proposals: list[Proposal] = []
        for i, res in enumerate(pred.get("result", [])):
            try:
                records = convert(res, ctx)
            except BadResult as exc:
                return Prediction(item.item_id, error=f"result[{i}].{exc.field}: {exc.message}")
            value_score = _score(res.get("value", {}).get("score")) if isinstance(res.get("value"), dict) else None
            for rec in records:
                label = self.config.map_label(rec.label or "")
                if label is None:
                    continue
                s = rec.score if rec.score is not None else value_score if value_score is not None else score
                proposals.append(Proposal(kind=rec.kind.value, label=label, score=math.nan if s is None else s,
                                          geometry=dict(rec.geometry)))  # fmt: skip
        return Prediction(item.item_id, proposals=tuple(proposals))


def _score(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return min(1.0, max(0.0, float(v)))


class HttpModel(_Batched):
    """labelhub's remote-model contract (``docs/remote-models.md``): ``POST /predict`` and ``POST /train``."""

    def request(self, items: Sequence[ItemInput]) -> dict[str, Any]:
        rows = []
        for it in items:
            row: dict[str, Any] = {"id": it.item_id, "kind": it.kind, "name": it.name}
            if it.text is not None:
                row["text"] = it.text
            if it.path is not None:
                row["path"] = str(it.path)
                if self.config.image_url:
                    row["url"] = self.config.image_url.format(item_id=it.item_id, name=it.name, path=it.path)
            if it.width is not None:
                row |= {"width": it.width, "height": it.height}
            rows.append(row)
        return {"model": self.model_version, "items": rows}

    def read(self, items: Sequence[ItemInput], answer: Any) -> list[Prediction]:
        preds = answer.get("predictions") if isinstance(answer, dict) else None
        if not isinstance(preds, list):
            raise ValidationError("the answer needs a predictions list", field="predictions")
        by_id = {p.get("item_id"): p for p in preds if isinstance(p, dict)}
        remote_classes = answer.get("classes") if isinstance(answer.get("classes"), list) else None
        out = []
        for it in items:
            p = by_id.get(it.item_id)
            out.append(self._one(it, p, remote_classes) if p is not None
                       else Prediction(it.item_id, error="the server sent no prediction for this item"))  # fmt: skip
        return out

    def _one(self, item: ItemInput, p: dict[str, Any], classes: list[Any] | None) -> Prediction:
        if p.get("error"):
            return Prediction(item.item_id, error=str(p["error"])[:500])
        proposals: list[Proposal] = []
        for i, raw in enumerate(p.get("proposals") or []):
            if (
                not isinstance(raw, dict)
                or not isinstance(raw.get("kind"), str)
                or not isinstance(raw.get("label"), str)
            ):
                return Prediction(item.item_id, error=f"proposals[{i}] needs kind and label strings")
            label = self.config.map_label(raw["label"])
            if label is None:
                continue
            score = _score(raw.get("score"))
            geometry = raw.get("geometry") or {}
            if not isinstance(geometry, dict):
                return Prediction(item.item_id, error=f"proposals[{i}].geometry must be an object")
            proposals.append(Proposal(raw["kind"], label, math.nan if score is None else score, geometry))
        probs = p.get("probs")
        arr = None
        if isinstance(probs, list) and probs and classes and len(probs) == len(classes):
            arr = np.asarray(probs, dtype=np.float64)
        return Prediction(item.item_id, proposals=tuple(proposals), probs=arr)

    def train(self, project: str, examples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Ask the server to train on ``examples`` (``{id, text|path, label}``); return its JSON answer."""
        answer = post_json(self._client, self.config.url + "/train", {"project": project, "examples": list(examples)},
                           self.config)  # fmt: skip
        if not isinstance(answer, dict):
            raise ValidationError("the train answer must be a JSON object", field="train")
        return answer


def load_label_studio_ml(ref: ModelRef) -> LabelStudioML:
    """The ``label_studio_ml`` loader: params hold url, timeout, retries, labels and label_config."""
    return LabelStudioML(RemoteConfig.from_params(ref.params), model_version=ref.tag)


def load_http_model(ref: ModelRef) -> HttpModel:
    """The ``http`` loader (labelhub's own contract)."""
    return HttpModel(RemoteConfig.from_params(ref.params), model_version=ref.tag)


register_loader(LS_KIND, load_label_studio_ml)
register_loader(HTTP_KIND, load_http_model)
