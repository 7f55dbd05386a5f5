"""Keypoint skeletons of a class: the named points a ``keypoints`` annotation of it holds, and their edges.

A class of the label schema may declare ``keypoints`` (point names, in the order a ``keypoints`` geometry lists
its ``x, y, v`` triples) and ``skeleton`` (edges as 0-based index pairs into those names, as drawn between the
points). COCO keeps the same two lists on a category, its skeleton 1-based: the COCO format converts at its
boundary. A class without names takes keypoints annotations of any length, as before skeletons existed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labelhub.errors import ValidationError

MAX_KEYPOINTS = 100
MAX_KEYPOINT_NAME = 100

Edge = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Skeleton:
    """The point names and edges one class declares (either may be empty)."""

    keypoints: tuple[str, ...] = ()
    skeleton: tuple[Edge, ...] = ()


def check_skeleton(keypoints: Sequence[str], skeleton: Sequence[Edge], where: str) -> None:
    """Raise ValidationError naming ``{where}.keypoints[j]`` or ``{where}.skeleton[k]`` for the first broken rule."""
    n = len(keypoints)
    if n > MAX_KEYPOINTS:
        raise ValidationError(
            f"{n} keypoints declared; a class holds at most {MAX_KEYPOINTS}", field=f"{where}.keypoints"
        )
    seen: dict[str, int] = {}
    for j, name in enumerate(keypoints):
        field = f"{where}.keypoints[{j}]"
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("a keypoint name is empty", field=field)
        if name != name.strip():
            raise ValidationError(f"keypoint name {name!r} starts or ends with a space", field=field)
        if len(name) > MAX_KEYPOINT_NAME:
            raise ValidationError(f"keypoint name is longer than {MAX_KEYPOINT_NAME} characters", field=field)
        if name in seen:
            raise ValidationError(f"keypoint {name!r} is named twice (also keypoints[{seen[name]}])", field=field)
        seen[name] = j
    if skeleton and n < 2:
        raise ValidationError("a skeleton needs at least two keypoints to join", field=f"{where}.skeleton")
    if len(skeleton) > n * (n - 1) // 2:
        raise ValidationError(
            f"{len(skeleton)} edges, but {n} keypoints have at most {n * (n - 1) // 2}", field=f"{where}.skeleton"
        )
    edges: dict[frozenset[int], int] = {}
    for k, edge in enumerate(skeleton):
        field = f"{where}.skeleton[{k}]"
        if len(edge) != 2 or not all(type(i) is int for i in edge):
            raise ValidationError(f"an edge is two keypoint indices, got {list(edge)!r}", field=field)
        a, b = edge
        for i in (a, b):
            if not 0 <= i < n:
                raise ValidationError(f"edge [{a}, {b}]: index {i} is not a keypoint (0..{n - 1})", field=field)
        if a == b:
            raise ValidationError(f"edge [{a}, {b}] joins {keypoints[a]!r} to itself", field=field)
        key = frozenset((a, b))
        if key in edges:
            raise ValidationError(f"edge [{a}, {b}] is listed twice (also skeleton[{edges[key]}])", field=field)
        edges[key] = k


def check_instance(names: Sequence[str], label: str, points: Sequence[Any], where: str) -> None:
    """Raise ValidationError on ``{where}.geometry.points`` when ``points`` is not one triple per declared name."""
    if not names or len(points) == 3 * len(names):
        return
    raise ValidationError(
        f"{where}: class {label!r} declares {len(names)} keypoints ({', '.join(names[:8])}"
        f"{', ...' if len(names) > 8 else ''}), so its keypoints need {len(names)} x,y,v triples; "
        f"got {len(points) / 3:g}",
        field=f"{where}.geometry.points",
    )


def edges_from_json(raw: Any) -> tuple[Edge, ...]:
    """Return stored or sent edges as int pairs; a malformed entry raises TypeError/ValueError for the caller."""
    out: list[Edge] = []
    for e in raw or ():
        a, b = e
        if type(a) is not int or type(b) is not int:
            raise ValueError(f"skeleton edge {e!r} is not two integers")
        out.append((a, b))
    return tuple(out)


def from_coco(category: Mapping[str, Any]) -> Skeleton | None:
    """The skeleton a COCO category declares (its 1-based ``skeleton`` made 0-based), or None when it names no
    keypoints or its lists cannot be a valid declaration."""
    names = category.get("keypoints")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        return None
    try:
        edges = tuple((a - 1, b - 1) for a, b in edges_from_json(category.get("skeleton")))
        check_skeleton(names, edges, "category")
    except (TypeError, ValueError, ValidationError):
        return None
    return Skeleton(tuple(names), edges)


def to_coco(sk: Skeleton) -> dict[str, Any]:
    """The ``keypoints`` and (1-based) ``skeleton`` of a COCO category."""
    return {"keypoints": list(sk.keypoints), "skeleton": [[a + 1, b + 1] for a, b in sk.skeleton]}


def adopt(
    declared: Mapping[str, Skeleton], found: Iterable[tuple[str, Skeleton]], source: str
) -> tuple[dict[str, Skeleton], list[str]]:
    """The skeletons to give classes that declare none yet, from ``found`` (class, skeleton) pairs of a file,
    and a warning per class whose own declaration differs from the file's (the project's is kept)."""
    adopted: dict[str, Skeleton] = {}
    warnings: list[str] = []
    for name, sk in found:
        mine = declared.get(name)
        if mine is None or not mine.keypoints:
            adopted.setdefault(name, sk)
        elif mine != sk:
            warnings.append(
                f"class {name!r} keeps its own keypoints ({', '.join(mine.keypoints)}) and skeleton; {source} "
                f"declares {', '.join(sk.keypoints)} with {len(sk.skeleton)} edges"
            )
    return adopted, warnings
