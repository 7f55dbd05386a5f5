"""A labelhub project streamed into a PyTorch training script with the ``webdataset`` library.

What the library does: it opens each shard URL and reads the tar as a stream, groups members into samples by
key (``{"__key__": "00000003", "jpg": ..., "json": ...}``), splits the shard list across ranks
(``wds.split_by_node``) and DataLoader workers (``wds.split_by_worker``), and decodes by extension
(``.decode("torchrgb")``: images to float CHW tensors, ``.json`` to dicts).

What is ours: :func:`fetch_shards` asks the server (``GET /api/v1/projects/{id}/webdataset``) for the shard
list, and turns each shard's path into a URL the library opens with the bearer token;
:func:`image_and_labels` maps a decoded sample to an image tensor and a multi-hot vector of its label ids; and
:func:`image_dataset` chains them into a dataset for ``torch.utils.data.DataLoader(num_workers=N)``.

The token: webdataset 1.0 opens ``http(s)`` URLs with ``curl`` and has no way to add a header, so the URLs are
``pipe:curl ... -H @FILE 'URL'`` with FILE a file only you may read (0600, in a private temporary folder,
removed when the Python process exits) holding the ``Authorization`` header: the machine's process list shows
the file's path, never the token. ``pipe:`` URLs run through a shell (quoted here); ``WDS_SECURE=1`` turns them
off, and then these URLs cannot be read. Pass ``header_file`` to keep the file somewhere of your own.

Failures are loud: a shard the server refuses (409: media missing, or the label order changed since the
listing) makes ``curl -f`` exit 22, and a stream the server breaks off (media lost after it started) exit 18;
webdataset raises on either, so a training job never takes a cut tar for a shorter shard.
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import torch
import webdataset as wds  # type: ignore[import-untyped]  # the library ships no type hints
from torch.nn import functional

__all__ = ["ProjectShards", "fetch_shards", "image_and_labels", "image_dataset", "project_shards"]

FilterValue = str | bool | Sequence[str]


@dataclass(frozen=True, slots=True)
class ProjectShards:
    """The shard URLs of a project (for ``webdataset.WebDataset``), its label order and its sample count."""

    urls: list[str]
    labels: list[str]
    samples: int
    shard_size: int


def _header_file(token: str) -> Path:
    """Return a new file only the owner may read, holding the Authorization header; removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="labelhub-wds-"))  # 0700
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "authorization"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"Authorization: Bearer {token}\n")
    return path


def curl_url(url: str, header_file: Path) -> str:
    """Return the ``pipe:`` URL webdataset opens to read ``url`` with the header in ``header_file``.

    No ``-L``: a redirect to another host must not get the token; no ``--retry``: a retry after part of a tar
    was read would write its start again into the same stream.
    """
    return f"pipe:curl -sS -f --connect-timeout 30 -H {shlex.quote('@' + str(header_file))} {shlex.quote(url)}"


def fetch_shards(
    server_url: str,
    project: int,
    token: str,
    *,
    shard_size: int = 1000,
    header_file: Path | None = None,
    timeout: float = 60.0,
    filters: Mapping[str, FilterValue] | None = None,
) -> ProjectShards:
    """Return the project's shards under ``filters`` (``status``, ``split``, ``kind``, ``states``,
    ``annotated``: the list route's query parameters), as URLs webdataset reads with ``token``.

    Raises :class:`httpx.HTTPStatusError` when the server refuses (401 bad token, 404 no such project for you).
    """
    base = server_url.rstrip("/")
    params: dict[str, Any] = {"shard_size": shard_size}
    params.update({k: ("true" if v else "false") if isinstance(v, bool) else v for k, v in (filters or {}).items()})
    r = httpx.get(
        f"{base}/api/v1/projects/{project}/webdataset",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )
    r.raise_for_status()
    listing = r.json()
    shards = listing["shards"]
    if shards and header_file is None:
        header_file = _header_file(token)
    urls = [curl_url(base + s["url"], header_file) for s in shards if header_file is not None]
    return ProjectShards(
        urls=urls,
        labels=list(listing["labels"]),
        samples=int(listing["samples"]),
        shard_size=int(listing["shard_size"]),
    )


def project_shards(
    server_url: str, project: int, token: str, *, shard_size: int = 1000, **filters: FilterValue
) -> list[str]:
    """Return the shard URLs of :func:`fetch_shards`, for ``webdataset.WebDataset(urls)``."""
    return fetch_shards(server_url, project, token, shard_size=shard_size, filters=filters).urls


def image_and_labels(sample: Mapping[str, Any], num_labels: int, size: tuple[int, int] = (224, 224)) -> tuple[Any, Any]:
    """Return a sample decoded with ``torchrgb`` as (image resized to ``size``, multi-hot label vector).

    The sample's JSON names its media member (``"media": "jpg"``); each annotation's ``label_id`` is its label's
    place in the listing's ``labels`` (which also numbers labels outside the project's list). Annotations without
    a label count for nothing.
    """
    doc = sample["json"]
    media = doc.get("media")
    if media is None or media not in sample:
        raise ValueError(f"sample {sample.get('__key__')} ({doc.get('name')!r}) has no media to train on")
    image = functional.interpolate(sample[media][None], size=size, mode="bilinear", align_corners=False)[0]
    target = torch.zeros(num_labels)
    for ann in doc.get("annotations") or ():
        label_id = ann.get("label_id")
        if isinstance(label_id, int) and 0 <= label_id < num_labels:
            target[label_id] = 1.0
    return image, target


def image_dataset(urls: list[str], num_labels: int, *, size: tuple[int, int] = (224, 224), shuffle: int = 0) -> Any:
    """Return a ``webdataset.WebDataset`` of (image, multi-hot labels) pairs over ``urls``, for a DataLoader.

    Shards are split across ranks and DataLoader workers (each shard is read by one worker of one rank), and
    with ``shuffle`` the shard order is shuffled too; ``shuffle`` samples are also shuffled in a buffer.
    """
    dataset = wds.WebDataset(
        urls,
        nodesplitter=wds.split_by_node,
        workersplitter=wds.split_by_worker,
        shardshuffle=shuffle or False,
        empty_check=False,  # a worker may get no shard when there are fewer shards than workers
    )
    if shuffle:
        dataset = dataset.shuffle(shuffle)
    return dataset.decode("torchrgb").map(partial(image_and_labels, num_labels=num_labels, size=size))
