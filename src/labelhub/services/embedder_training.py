"""Training the built-in encoders on a project (the ``train_embedder`` job), and finding the trained one.

:func:`queue_embedder_training` queues the job (a manager's right, ``TRAIN_MODEL``); :func:`run_train_embedder`
is its body:

- ``kind`` ``"dual"``: the multilingual dual encoder, on the project's image items with captions (an item's
  ``meta["captions"]``, as the COCO-captions import stores them: ``[{"text", "lang"}, ...]`` or plain
  strings; ``meta["caption"]``; and accepted annotations whose attributes hold a ``caption`` or ``text``
  string), plus translation pairs when ``bitext`` names a TSV file or a folder of parallel files on the
  server (see :mod:`labelhub.search.dual.bitext`; ``bitext_splits`` limits a folder to some splits);
- ``kind`` ``"ssl"``: the self-supervised image encoder, on all the project's image items.

The weights go to ``HOME/embedders/<project id>/<version>/`` (the version is ``<kind>-<hash of the
weights>``), and the project's assist settings record the latest one per kind under
``settings["embedders"][kind]`` (path relative to HOME, version, job, counts, final loss):
:func:`trained_embedder` reads that record and loads the embedder, which is how the embedding job, search
and the image assist model find it. A new training replaces the record; older folders stay until deleted.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationState, ItemKind
from labelhub.domain.permissions import Action
from labelhub.errors import NotFoundError, PermissionDenied, ValidationError
from labelhub.services import jobs
from labelhub.services.access import Actor, require
from labelhub.services.embedder_eval import MIN_IMAGES, MIN_PAIRS, held_out_recall, split_held_out
from labelhub.services.uploads import ServerRoots, check_server_path
from labelhub.storage.models import Annotation, Item, Job, Media, ProjectAssist, utcnow

if TYPE_CHECKING:
    from labelhub.hub import Hub
    from labelhub.jobs.context import JobContext
    from labelhub.search.embedders import Embedder

__all__ = ["ENCODER_KINDS", "KIND", "queue_embedder_training", "run_train_embedder", "trained_embedder",
           "trained_record"]  # fmt: skip

KIND = "train_embedder"
ENCODER_KINDS = ("dual", "ssl")
_MAX_EPOCHS = 10_000


def _check_params(kind: object, epochs: object, seed: object, bitext: object) -> None:
    if kind not in ENCODER_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(ENCODER_KINDS)}, got {kind!r}", field="kind")
    if epochs is not None and (
        isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= _MAX_EPOCHS
    ):
        raise ValidationError(f"epochs must be a whole number in [1, {_MAX_EPOCHS}], got {epochs!r}", field="epochs")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        raise ValidationError(f"seed must be a whole number in [0, 2^31), got {seed!r}", field="seed")
    if bitext is not None:
        if kind != "dual":
            raise ValidationError("translation pairs (bitext) only train the dual encoder", field="bitext")
        if not isinstance(bitext, str) or not Path(bitext).exists():
            raise ValidationError(f"no translation pairs at {bitext!r} on the server", field="bitext")


def queue_embedder_training(
    session: Session, actor: Actor, project_id: int, kind: str, *, epochs: int | None = None, seed: int = 0,
    bitext: str | None = None, bitext_splits: list[str] | None = None,
    roots: ServerRoots | Iterable[Path] | None = None,
) -> Job:  # fmt: skip
    """Queue a ``train_embedder`` job (in the caller's write transaction); ValidationError names a bad field.

    ``roots``: where a remote caller may point ``bitext`` (the API passes LABELHUB_IMPORT_ROOTS, as for
    imports); None (the CLI, on the server itself) allows any path.
    """
    project = require(session, actor, project_id, Action.TRAIN_MODEL, doing="training the search encoder")
    if kind in ENCODER_KINDS and project.item_kind != ItemKind.IMAGE.value:
        raise ValidationError(f"the {kind} encoder learns from a project's images; project {project.name} holds "
                              f"{project.item_kind} items (texts are searched with the built-in ngram space: "
                              f"`labelhub embed {shlex.quote(project.name)}`)", field="kind")  # fmt: skip
    if bitext is not None and roots is not None:
        try:
            bitext = str(check_server_path(bitext, roots))
        except (PermissionDenied, ValidationError) as exc:
            raise type(exc)(exc.detail, field="bitext") from None
    _check_params(kind, epochs, seed, bitext)
    _check_splits(bitext, bitext_splits)
    params: dict[str, Any] = {"kind": kind, "epochs": epochs, "seed": seed, "project_id": project_id}
    if bitext is not None:
        params["bitext"] = bitext
        params["bitext_splits"] = bitext_splits
    return jobs.enqueue(session, actor, KIND, params, project_id=project_id)


def _check_splits(bitext: str | None, splits: list[str] | None) -> None:
    """Refuse splits that the bitext does not have (a typo trained on no translation pairs at all)."""
    if splits is None:
        return
    from labelhub.search.dual.bitext import bitext_splits

    if bitext is None:
        raise ValidationError("bitext_splits needs bitext (the folder of parallel files they are in)",
                              field="bitext_splits")  # fmt: skip
    have = bitext_splits(Path(bitext))
    if not have:
        raise ValidationError(f"{bitext} is not a folder of parallel files, so it has no splits; leave "
                              "bitext_splits out", field="bitext_splits")  # fmt: skip
    unknown = [sp for sp in splits if sp not in have]
    if unknown or not splits:
        raise ValidationError(f"unknown split(s) {', '.join(map(repr, unknown)) or '(none given)'}; {bitext} has: "
                              f"{', '.join(have)}", field="bitext_splits")  # fmt: skip


def _image_paths(hub: Hub, session: Session, project_id: int) -> list[tuple[int, Path, dict[str, Any]]]:
    """Return (item id, file, meta) of the project's image items whose file is on disk, by id."""
    q = (
        select(Item.id, Item.media_key, Item.meta, Media.path)
        .join(Media, Media.key == Item.media_key)
        .where(Item.project_id == project_id, Item.kind == ItemKind.IMAGE.value)
        .order_by(Item.id)
    )
    out = []
    for item_id, key, meta, linked in session.execute(q):
        path = hub.media.local_path(key, linked)
        if path is not None and path.is_file():
            out.append((int(item_id), path, dict(meta or {})))
    return out


def _captions(meta: dict[str, Any]) -> list[str]:
    found = []
    raw = meta.get("captions")
    for c in raw if isinstance(raw, list) else []:
        text = c.get("text") if isinstance(c, dict) else c
        if isinstance(text, str) and text.strip():
            found.append(text.strip())
    if isinstance(meta.get("caption"), str) and meta["caption"].strip():
        found.append(meta["caption"].strip())
    return found


def _annotation_captions(session: Session, project_id: int) -> dict[int, list[str]]:
    q = select(Annotation.item_id, Annotation.attributes).where(
        Annotation.project_id == project_id, Annotation.state == AnnotationState.ACCEPTED.value
    )
    out: dict[int, list[str]] = {}
    for item_id, attrs in session.execute(q):
        for key in ("caption", "text"):
            value = (attrs or {}).get(key)
            if isinstance(value, str) and value.strip():
                out.setdefault(int(item_id), []).append(value.strip())
    return out


Held = tuple[list[tuple[Path, str]], list[tuple[str, str]]]  # held-out (image, caption), (source, English)


def _train(
    hub: Hub, project_id: int, p: dict[str, Any], progress: Any
) -> tuple[Any, dict[str, Any], dict[str, Any], Held]:
    """Train the encoder ``p`` asks for; return (model, architecture, summary, what was held out)."""
    with hub.db.session() as s:
        images = _image_paths(hub, s, project_id)
        extra = _annotation_captions(s, project_id) if p["kind"] == "dual" else {}
    # Epochs asked for are run as asked (the configs' min_steps would otherwise raise them for small projects).
    epochs: dict[str, Any] = {"epochs": int(p["epochs"]), "min_steps": 0} if p.get("epochs") else {}
    if p["kind"] == "ssl":
        from labelhub.search.dual.config import SslConfig
        from labelhub.search.ssl import train_ssl

        if len(images) < 2:
            raise ValidationError(f"project {project_id} has {len(images)} image(s) on disk; training needs 2",
                                  field="project_id")  # fmt: skip
        scfg = SslConfig(seed=int(p.get("seed") or 0), **epochs)
        smodel, shist = train_ssl([path for _, path, _ in images], scfg, progress=progress)
        summary = {"images": len(images), "loss": shist.to_json()["loss"][-1:], "steps": shist.steps,
                   "averaged_passes": shist.averaged_passes}  # fmt: skip
        return smodel, scfg.architecture(), summary, ([], [])
    from labelhub.search.dual.bitext import read_bitext
    from labelhub.search.dual.config import DualConfig
    from labelhub.search.dual.train import train_dual

    pairs = [(path, _captions(meta) + extra.get(item_id, [])) for item_id, path, meta in images]
    pairs = [(path, caps) for path, caps in pairs if caps]
    if len(pairs) < 2:
        raise ValidationError(f"project {project_id} has {len(pairs)} image(s) with captions; the dual encoder "
                              "needs at least 2 (import captions, e.g. COCO captions)", field="project_id")  # fmt: skip
    translations = []
    if p.get("bitext"):
        found = read_bitext(Path(p["bitext"]), splits=p.get("bitext_splits") or None)
        translations = [(t.source, t.english) for t in found]
    seed = int(p.get("seed") or 0)
    fit, held = split_held_out(len(pairs), MIN_IMAGES, seed)
    fit_t, held_t = split_held_out(len(translations), MIN_PAIRS, seed + 1)
    held_out: Held = ([(pairs[i][0], pairs[i][1][0]) for i in held], [translations[i] for i in held_t])
    pairs, translations = [pairs[i] for i in fit], [translations[i] for i in fit_t]
    dcfg = DualConfig(seed=seed, **epochs)
    dmodel, dhist = train_dual([a for a, _ in pairs], [b for _, b in pairs], translations, dcfg, progress=progress)
    return dmodel, dcfg.architecture(), {
        "images": len(pairs), "captions": sum(len(c) for _, c in pairs), "translation_pairs": len(translations),
        "caption_loss": dhist.caption_loss[-1:], "translation_loss": dhist.translation_loss[-1:],
        "steps": dhist.steps, "averaged_passes": dhist.averaged_passes,
        "held_out_images": len(held_out[0]), "held_out_translation_pairs": len(held_out[1]),
    }, held_out  # fmt: skip


def run_train_embedder(ctx: JobContext) -> dict[str, Any]:
    """The ``train_embedder`` job: train, save under HOME/embedders, record it in the project's settings."""
    from labelhub.search.dual.model import save_encoder

    p = ctx.params
    if ctx.project_id is None:
        raise ValueError("a train_embedder job needs a project")
    pid = ctx.project_id
    _check_params(p.get("kind"), p.get("epochs"), p.get("seed", 0), p.get("bitext"))
    with ctx.hub.db.session() as s:
        require(s, ctx.actor, pid, Action.TRAIN_MODEL, doing="training the search encoder")
    ctx.progress(0.0, f"training the {p['kind']} encoder")
    model, arch, summary, held = _train(ctx.hub, pid, p, lambda f, m: ctx.progress(0.02 + 0.9 * f, m))
    root = ctx.hub.settings.home / "embedders" / str(pid)
    tmp = root / f".job-{ctx.job_id}"
    shutil.rmtree(tmp, ignore_errors=True)
    version = save_encoder(tmp, p["kind"], model, arch, {**summary, "seed": p.get("seed", 0), "job_id": ctx.job_id})
    folder = root / version
    if folder.exists():  # the same weights again (same data and seed): keep the folder that is there
        shutil.rmtree(tmp)
    else:
        tmp.rename(folder)
    if held[0] or held[1]:
        from labelhub.search.dual.config import EncoderCheckpoint
        from labelhub.search.embedders import create_embedder

        ctx.progress(0.93, f"measuring retrieval on {len(held[0])} held-out images, {len(held[1])} translation pairs")
        summary["held_out_recall"] = held_out_recall(create_embedder(p["kind"], EncoderCheckpoint(path=folder)), *held)
    ctx.progress(0.98, "recording the trained encoder")
    record = {"path": str(folder.relative_to(ctx.hub.settings.home)), "version": version, "job_id": ctx.job_id,
              "trained_at": utcnow().isoformat(), **summary}  # fmt: skip
    with ctx.hub.db.session(write=True) as s:
        row = s.get(ProjectAssist, pid, with_for_update=True)
        if row is None:
            row = ProjectAssist(project_id=pid, settings={}, labels_at_last_train=0, version=1)
            s.add(row)
        settings = dict(row.settings or {})
        settings["embedders"] = {**dict(settings.get("embedders") or {}), p["kind"]: record}
        row.settings = settings
        row.version = (row.version or 1) + 1
        row.updated_at = utcnow()
    return {"kind": p["kind"], **record}


def trained_record(session: Session, project_id: int, kind: str) -> dict[str, Any] | None:
    """Return the project's record of its latest trained ``kind`` encoder (see the module), or None."""
    settings = session.scalar(select(ProjectAssist.settings).where(ProjectAssist.project_id == project_id))
    record = ((settings or {}).get("embedders") or {}).get(kind)
    return dict(record) if isinstance(record, dict) else None


def trained_embedder(hub: Hub, project_id: int, kind: str) -> Embedder | None:
    """Return the project's latest trained ``kind`` (``"dual"`` or ``"ssl"``) embedder, or None before any.

    Loads the weights each call (tens of milliseconds): a caller embedding many batches keeps the embedder.
    Without a record (lost with the settings), the newest ``HOME/embedders/<project>/<kind>-*`` folder is used.
    None too when the recorded folder has gone. NotFoundError for a project that does not exist.
    """
    from labelhub.search.dual.config import EncoderCheckpoint
    from labelhub.search.embedders import create_embedder
    from labelhub.storage.models import Project

    if kind not in ENCODER_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(ENCODER_KINDS)}, got {kind!r}", field="kind")
    with hub.db.session() as s:
        if s.get(Project, project_id) is None:
            raise NotFoundError(f"project {project_id} not found", field="project_id")
        record = trained_record(s, project_id, kind)
    folder = hub.settings.home / str(record["path"]) if record is not None else _newest_folder(hub, project_id, kind)
    if folder is None or not (folder / "encoder.json").is_file():
        return None
    return create_embedder(kind, EncoderCheckpoint(path=folder))


def _newest_folder(hub: Hub, project_id: int, kind: str) -> Path | None:
    """Return the newest trained ``kind`` folder of the project: the fallback when the settings lost the record
    (settings replaced wholesale by an older client, say); the folders are the weights, the record only points."""
    root = hub.settings.home / "embedders" / str(project_id)
    found = [p for p in root.glob(f"{kind}-*") if (p / "encoder.json").is_file()] if root.is_dir() else []
    return max(found, key=lambda p: (p / "encoder.json").stat().st_mtime_ns) if found else None
