"""Renaming classes of a project's schema, with the annotations, attributes and model mappings that name them.

A rename is a pair (old name, new name) sent with ``PATCH /projects/{id}`` as ``renames``. :func:`check_renames`
refuses a pair that cannot be meant (422 on ``renames[i].from`` / ``renames[i].to``): the old name must be a class
of the stored schema and leave it, the new name must be a class of the schema sent and new to it. Two renames may
swap names (a -> b with b -> a): each old name leaves the schema and each new one arrives, and one UPDATE moves
both, so no annotation passes through the other's name.

:func:`apply_renames` then runs in the schema change's transaction: the annotations' labels (every kind, track
boxes too), the versions of their items (an editor open on one gets its 409 and reloads rather than save the old
name back) and the label mappings of the project's registered models (``params["labels"]``, model class ->
project class). The schema's ``format_meta`` follows too (:func:`follow_in_format_meta`). A trained model keeps
its classes in its files and the report: it goes on proposing the old name, and pre-labelling drops proposals of
no class, until it is trained again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ValidationError
from labelhub.storage.models import Annotation, Item, ModelVersion, utcnow

Rename = tuple[str, str]


def check_renames(old: LabelSchema, new_names: Iterable[str], renames: Sequence[Rename]) -> list[Rename]:
    """Return the renames that change a name, or ValidationError naming the first pair that cannot be applied."""
    before = set(old.names)
    after = set(new_names)
    sources = {a for a, _ in renames}
    targets = {b for _, b in renames}
    seen_from: set[str] = set()
    seen_to: set[str] = set()
    out: list[Rename] = []
    for i, (a, b) in enumerate(renames):
        where = f"renames[{i}]"
        if a not in before:
            raise ValidationError(
                f"{a!r} is no class of the project (its classes: {', '.join(old.names) or 'none'}); "
                "send the class's stored name as from",
                field=f"{where}.from",
            )
        if a in seen_from:
            raise ValidationError(f"{a!r} is renamed twice; send one rename per class", field=f"{where}.from")
        if b not in after:
            raise ValidationError(
                f"{b!r} is not among the classes sent under labels; list the class under its new name there",
                field=f"{where}.to",
            )
        if b in seen_to:
            raise ValidationError(
                f"two classes are renamed to {b!r}; merging classes is not a rename: relabel the annotations of one "
                "of them instead",
                field=f"{where}.to",
            )
        seen_from.add(a)
        seen_to.add(b)
        if a == b:
            continue
        if a in after and a not in targets:
            raise ValidationError(
                f"{a!r} is renamed to {b!r} but is still among the classes sent under labels; "
                f"drop {a!r} from labels (its annotations become {b!r})",
                field=f"{where}.from",
            )
        if b in before and b not in sources:
            raise ValidationError(
                f"{b!r} is already a class of the project: renaming {a!r} to it would merge the two; "
                "pick a new name, or relabel the annotations instead",
                field=f"{where}.to",
            )
        out.append((a, b))
    return out


def follow_in_attributes(
    specs: Iterable[AttributeSpec], renames: Sequence[Rename], new_names: Iterable[str]
) -> list[AttributeSpec]:
    """The attributes with each renamed class's old name in their ``labels`` replaced by its new one.

    Only an old name that is no class of the new schema is replaced: a client that already followed the rename
    sent the new name, and in a swap both names stay classes, so the client's lists are taken as they are.
    """
    after = set(new_names)
    mapping = {a: b for a, b in renames if a not in after}
    out: list[AttributeSpec] = []
    for spec in specs:
        labels = tuple(dict.fromkeys(mapping.get(n, n) for n in spec.labels))
        out.append(replace(spec, labels=labels) if labels != spec.labels else spec)
    return out


# Where an import keeps the file's own declarations of the classes, by name (see the COCO and CVAT exporters).
_FORMAT_META_NAMES = (("coco", "categories"), ("cvat", "labels"))


def follow_in_format_meta(meta: Mapping[str, Any], renames: Sequence[Rename]) -> dict[str, Any]:
    """A schema's ``format_meta`` with the renamed classes' entries under their new names: a COCO export then
    gives a renamed class its original category id, a CVAT export its original declaration."""
    mapping = dict(renames)
    out = dict(meta)
    for fmt, key in _FORMAT_META_NAMES:
        block = out.get(fmt)
        entries = block.get(key) if isinstance(block, dict) else None
        if not isinstance(block, dict) or not isinstance(entries, list):
            continue
        renamed = [
            {**e, "name": mapping[e["name"]]} if isinstance(e, dict) and e.get("name") in mapping else e
            for e in entries
        ]
        out[fmt] = {**block, key: renamed}
    return out


def apply_renames(session: Session, project_id: int, renames: Sequence[Rename]) -> int:
    """Rename the classes on the project's annotations and registered models; return the annotations renamed."""
    if not renames:
        return 0
    olds = [a for a, _ in renames]
    held = select(Annotation.item_id).where(Annotation.project_id == project_id, Annotation.label.in_(olds))
    session.execute(
        update(Item)
        .where(Item.id.in_(held.distinct().scalar_subquery()))
        .values(version=Item.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    res = session.execute(
        update(Annotation)
        .where(Annotation.project_id == project_id, Annotation.label.in_(olds))
        .values(
            label=case({a: b for a, b in renames}, value=Annotation.label),
            version=Annotation.version + 1,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    _rename_in_models(session, project_id, dict(renames))
    return int(res.rowcount)  # type: ignore[attr-defined]


def _rename_in_models(session: Session, project_id: int, mapping: dict[str, str]) -> None:
    """Map the project classes of registered models' label mappings (model class -> project class) anew."""
    for mv in session.scalars(select(ModelVersion).where(ModelVersion.project_id == project_id)):
        labels = (mv.params or {}).get("labels")
        if not isinstance(labels, dict):
            continue  # a trained model stores a count here, its classes in its files
        renamed = {k: mapping.get(v, v) if isinstance(v, str) else v for k, v in labels.items()}
        if renamed != labels:
            mv.params = {**mv.params, "labels": renamed}
