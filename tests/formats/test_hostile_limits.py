"""Inputs built to hang a reader or fill its memory: each ends quickly with an error naming the file.

A million nested JSON brackets, XML elements nested a million deep, a YOLO line of a million numbers, a MOT
line of a million fields, a CSV field of 16 MB. pytest-timeout is not installed, so each test bounds its input
and asserts its own time: a reader that hangs or goes quadratic shows as a failure (streaming JSON readers
went quadratic in memory with depth before :class:`labelhub.formats._guards.JsonDepthGuard`).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from tests.formats._hostile import make_shard, png_bytes, run_importer
from tests.formats._hostile_samples import CASES, SHARD

from labelhub.errors import FormatError
from labelhub.formats import ImportOptions
from labelhub.formats._nesting import MAX_JSON_DEPTH, MAX_XML_DEPTH, JsonDepthGuard

MILLION = 10**6
DEEP_JSON = "[" * MILLION + "]" * MILLION
DEEP_XML = "<n>" * MILLION + "</n>" * MILLION
SECONDS = 5.0  # each case takes well under a second; a hang or quadratic blow-up takes far longer

Build = Callable[[Path], tuple[Path, Path]]  # writes the source, returns (source, the file the error names)


def _file(name: str, text: str, fmt_dir: str = "") -> Build:
    def build(root: Path) -> tuple[Path, Path]:
        path = root / fmt_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return (root / fmt_dir if fmt_dir else path), path

    return build


def _case_file(case_id: str, rel: str, text: str) -> Build:
    def build(root: Path) -> tuple[Path, Path]:
        source = CASES[case_id].build(root)
        (root / rel).write_text(text)
        return source, root / rel

    return build


def _yolo(values: int) -> Build:
    def build(root: Path) -> tuple[Path, Path]:
        (root / "images").mkdir()
        Image.new("RGB", (64, 48)).save(root / "images" / "a.png")
        (root / "classes.txt").write_text("cat\n")
        (root / "labels").mkdir()
        (root / "labels" / "a.txt").write_text("0 " + " ".join(["0.5"] * values) + "\n")
        return root, root / "labels" / "a.txt"

    return build


def _deep_sample(root: Path) -> tuple[Path, Path]:
    shard = make_shard(root / SHARD, [("k.json", f'{{"name": {DEEP_JSON}}}'.encode()), ("k.png", png_bytes())])
    return shard, shard


CVAT_HEAD = '<?xml version="1.0"?>\n<annotations><version>1.1</version>\n'
# (format, how the source is built, words the error or problem says)
CASES_BY_NAME: dict[str, tuple[str, Build, str]] = {
    "coco-json": ("coco", _file("ann.json", f'{{"images": {DEEP_JSON}}}'), "depth limit exceeded"),
    "captions-json": ("coco_captions", _file("captions_x.json", '{"images": [{"id": 1, "file_name": "a.png"}], '
                      f'"annotations": [{{"image_id": 1, "caption": {DEEP_JSON}}}]}}'), f"more than {MAX_JSON_DEPTH}"),
    "label-studio-json": ("label_studio", _file("tasks.json", DEEP_JSON), f"more than {MAX_JSON_DEPTH} deep"),
    "label-studio-result": ("label_studio", _file("tasks.json", '[{"id": 1, "data": {"text": "x"}, "annotations": '
                            f'[{{"result": {DEEP_JSON}}}]}}]'), f"more than {MAX_JSON_DEPTH} deep"),
    "jsonl-line": ("text", _file("t.jsonl", DEEP_JSON + "\n"), "depth limit exceeded"),
    "webdataset-sample": ("webdataset", _deep_sample, "depth limit exceeded"),
    "voc-xml": ("voc", _file("a.xml", f"<annotation>{DEEP_XML}</annotation>", "Annotations"),
                f"more than {MAX_XML_DEPTH} deep"),
    "cvat-images-xml": ("cvat_images", _file("a.xml", f'{CVAT_HEAD}<image id="0" name="a.png">{DEEP_XML}</image>'
                        "</annotations>"), f"more than {MAX_XML_DEPTH} deep"),
    "cvat-video-xml": ("cvat_video", _file("a.xml", f'{CVAT_HEAD}<track id="0" label="x">{DEEP_XML}</track>'
                       "</annotations>"), f"more than {MAX_XML_DEPTH} deep"),
    "yolo-million-numbers": ("yolo", _yolo(MILLION), "a polygon of 500000 points is more than"),
    "yolo-million-and-one": ("yolo", _yolo(MILLION + 1), "got 1000002 values"),
    "mot-million-fields": ("mot", _case_file("mot", "SEQ-01/gt/gt.txt", "1,1," + ",".join(["x"] * MILLION)),
                           "x is not a number"),
    "csv-16mb-field": ("text", _file("t.csv", "text,label\n" + "a" * (16 << 20) + ",b\n"), "a CSV field too large"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES_BY_NAME))
def test_a_reader_ends_quickly_with_an_error_naming_the_file(tmp_path: Path, name: str) -> None:
    fmt, build, words = CASES_BY_NAME[name]
    source, named = build(tmp_path)
    options = ImportOptions(media="link" if fmt == "yolo" else "none")
    started = time.perf_counter()
    out = run_importer(fmt, source, options)
    elapsed = time.perf_counter() - started
    said = (
        [(out.error.context.get("file"), str(out.error))] if out.error else [(p.file, p.message) for p in out.problems]
    )
    assert any(file == str(named) and words in text for file, text in said), said
    assert elapsed < SECONDS, f"{name} took {elapsed:.1f} s"


def guarded(data: bytes, chunk: int, limit: int = 10) -> str:
    """Read ``data`` through a JsonDepthGuard in chunks of ``chunk`` bytes; return "ok" or "refused"."""
    guard = JsonDepthGuard(io.BytesIO(data), Path("x.json"), limit)
    try:
        while guard.read(chunk):
            pass
    except FormatError:
        return "refused"
    return "ok"


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64, 1 << 16])
def test_the_json_depth_guard_counts_only_brackets_outside_strings(chunk: int) -> None:
    # Brackets inside strings, escaped quotes and escaped backslashes, cut at every chunk boundary, count for nothing.
    tricky = {
        "a": "[[[[[[[[[[[[[[[[[[[[",
        "b": '\\"{{{{{{{{{{{{{{{{{{{',
        "c": "\\\\",
        "d": [[[1, [2]], {"e": "]]]]]]]"}]],
    }
    assert guarded(json.dumps(tricky).encode(), chunk) == "ok"
    assert guarded(json.dumps([tricky] * 50).encode(), chunk) == "ok"
    assert guarded(("[" * 10 + "1" + "]" * 10).encode(), chunk) == "ok"  # exactly the limit
    assert guarded(("[" * 11 + "1" + "]" * 11).encode(), chunk) == "refused"
    assert guarded(b'{"k": ' * 11 + b"1" + b"}" * 11, chunk) == "refused"
