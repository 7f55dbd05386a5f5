"""Hypothesis strategies that turn a valid file into a hostile one, and a runner that drains an importer.

Mutations work on four levels: raw bytes (truncate, flip, insert, delete, replace by random bytes), JSON trees
(a value replaced by NaN, -1, 1e308, a huge integer, a string, a deep nest; a key dropped; an entry duplicated),
text lines (a token replaced, a line dropped, duplicated or made a million characters long) and XML trees (an
attribute or text replaced, an element dropped, duplicated or renamed, a DTD with entities put in front).
Each strategy takes the valid bytes and returns the hostile bytes, so a test only decides where to write them.
"""

from __future__ import annotations

import copy
import io
import json
import math
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from PIL import Image

from labelhub.domain.records import ItemRecord, Problem
from labelhub.errors import LabelhubError
from labelhub.formats import FORMATS, ImportOptions, get_format

# Reproducible in CI: the same examples on every run, and no example database between runs.
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

# JSON values that break what a valid file promises: non-finite and out-of-range numbers, wrong types,
# hostile paths and containers where scalars belong.
NASTY_VALUES: list[Any] = [
    math.nan, math.inf, -math.inf, -1, -0.5, 0, 1e308, -1e308, 10**30, -(10**30), 2**63, 2**31, 1e-320,
    "", "x", "nan", "1e999", "../../../etc/passwd", "/etc/passwd", "a\\b.png", "a\x00b", "é" * 3, "a" * 300,
    "a/" * 2100, "\ud800",
    None, True, False, [], {}, [None], {"": None}, [[1, 2], [3]],
]  # fmt: skip
# The same for a field of a text line or an XML attribute.
NASTY_TOKENS = [
    "nan", "NaN", "inf", "-inf", "Infinity", "-1", "0", "-0", "1e308", "-1e308", "1" + "0" * 40, "9" * 400,
    "2147483648", "9" * 5000, "²", "١٢", "1e-320", "1.5", "x", "", " ", '"', '"a', "0x1F", "1_0", "é", "\x00",
    "../x.png", "/etc/passwd", "a" * 300, "a/" * 2100,
    ";", ",", "1,2;3", "&amp;", "<", "]]>",
]  # fmt: skip
DOCTYPES = [
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n',
    '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n',
    '<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">\n',
]


def png_bytes(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (120, 80, 40)) -> bytes:
    """A valid PNG of the given size."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, format="PNG")
    return buf.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header says ``width`` x ``height``: a decompression bomb that costs nothing to write."""
    data = bytearray(png_bytes(1, 1))
    # Signature (8) + chunk length (4) + b"IHDR" (4), then width and height, then the rest of IHDR's 13 bytes.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def make_shard(path: Path, members: list[tuple[str, bytes]]) -> Path:
    """Write a tar of regular-file members."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


# ---------------------------------------------------------------------------------------------------- bytes


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """Return ``data`` truncated, with bytes flipped, inserted or deleted (one to three edits), or random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=2048))
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "zero"]))
        at = draw(st.integers(0, max(len(out) - 1, 0)))
        if op == "truncate":
            del out[at:]
        elif op == "flip" and out:
            out[at] ^= draw(st.integers(1, 255))
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del out[at : at + draw(st.integers(1, 64))]
        elif op == "zero":
            out[at : at + 8] = bytes(len(out[at : at + 8]))
    return bytes(out)


@st.composite
def mutated_image(draw: st.DrawFn, data: bytes) -> bytes:
    """Return a damaged image: mutated bytes, a bomb header, a zero size, or only the header."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return png_claiming_size(100_000, 100_000)
    if choice == 1:
        return png_claiming_size(draw(st.sampled_from([0, 1, 2**31 - 1])), draw(st.sampled_from([0, 1, 2**31 - 1])))
    if choice == 2:
        return data[: draw(st.integers(0, 40))]
    return draw(mutated_bytes(data))


# ----------------------------------------------------------------------------------------------------- JSON


def _slots(node: Any, out: list[tuple[Any, Any]]) -> None:
    """Collect ``(container, key)`` for every value under ``node``."""
    if isinstance(node, dict):
        for key in list(node):
            out.append((node, key))
            _slots(node[key], out)
    elif isinstance(node, list):
        for i in range(len(node)):
            out.append((node, i))
            _slots(node[i], out)


def deep(depth: int, leaf: Any = 1) -> Any:
    """Return ``leaf`` inside ``depth`` nested lists."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated_tree(draw: st.DrawFn, doc: Any) -> Any:
    """Return a copy of a JSON document with one to four values replaced, dropped, duplicated or nested."""
    root = [copy.deepcopy(doc)]
    for _ in range(draw(st.integers(1, 4))):
        slots: list[tuple[Any, Any]] = [(root, 0)]
        _slots(root[0], slots)
        container, key = draw(st.sampled_from(slots))
        op = draw(st.sampled_from(["replace", "replace", "replace", "drop", "duplicate", "nest", "stringify"]))
        value = container[key]
        if op == "replace":
            container[key] = copy.deepcopy(draw(st.sampled_from(NASTY_VALUES)))
        elif op == "drop" and container is not root:
            del container[key]
        elif op == "duplicate" and isinstance(container, list):
            container.insert(key, copy.deepcopy(value))
        elif op == "duplicate" and isinstance(container, dict):
            container[f"{key}_copy"] = copy.deepcopy(value)
        elif op == "nest":
            container[key] = deep(draw(st.integers(1, 300)), value)
        elif op == "stringify":
            container[key] = json.dumps(value) if not isinstance(value, str) else {"text": value}
    return root[0]


@st.composite
def mutated_json(draw: st.DrawFn, doc: Any) -> bytes:
    """Return a hostile JSON file from a valid document: a mutated tree (NaN written bare), or mutated bytes."""
    if draw(st.integers(0, 3)) == 0:
        return draw(mutated_bytes(json.dumps(doc, indent=1).encode()))
    return json.dumps(draw(mutated_tree(doc)), indent=1).encode()


# ---------------------------------------------------------------------------------------------------- lines


@st.composite
def mutated_lines(draw: st.DrawFn, data: bytes, sep: str | None = None) -> bytes:
    """Return a text file with fields of its lines replaced, lines dropped, duplicated, added or made huge.

    ``sep`` splits a line into fields (None: whitespace).
    """
    if draw(st.integers(0, 4)) == 0:
        return draw(mutated_bytes(data))
    lines = data.decode("utf-8").split("\n")
    joiner = sep if sep is not None else " "
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.integers(0, max(len(lines) - 1, 0)))
        line = lines[n] if lines else ""
        fields = line.split(sep)
        op = draw(
            st.sampled_from(["field", "field", "field", "drop_field", "add_field", "drop", "dup", "text", "huge"])
        )
        if op == "field" and fields:
            fields[draw(st.integers(0, len(fields) - 1))] = draw(st.sampled_from(NASTY_TOKENS))
            lines[n : n + 1] = [joiner.join(fields)]
        elif op == "drop_field" and fields:
            del fields[draw(st.integers(0, len(fields) - 1))]
            lines[n : n + 1] = [joiner.join(fields)]
        elif op == "add_field":
            lines[n : n + 1] = [joiner.join([*fields, draw(st.sampled_from(NASTY_TOKENS))])]
        elif op == "drop" and lines:
            del lines[n]
        elif op == "dup":
            lines.insert(n, line)
        elif op == "text":
            lines.insert(n, draw(st.text(max_size=80)))
        elif op == "huge":
            lines.insert(n, joiner.join(["0.5"] * draw(st.sampled_from([1000, 100_000]))))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------------------------------------------ XML


@st.composite
def mutated_xml(draw: st.DrawFn, data: bytes) -> bytes:
    """Return an XML file with attributes or texts replaced, elements dropped, duplicated, renamed or nested deep,
    or a DTD with entities in front; or mutated bytes."""
    if draw(st.integers(0, 4)) == 0:
        return draw(mutated_bytes(data))
    root = ET.fromstring(data)
    prolog, encoding = "", "utf-8"
    for _ in range(draw(st.integers(1, 4))):
        parents = {child: parent for parent in root.iter() for child in parent}
        elems = list(root.iter())
        elem = draw(st.sampled_from(elems))
        op = draw(
            st.sampled_from(["attr", "attr", "attr", "text", "text", "drop", "dup", "rename", "nest", "dtd", "enc"])
        )
        if op == "attr":
            names = [*sorted(elem.attrib), "id", "name", "frame", "label", "width", "height"]
            elem.set(draw(st.sampled_from(names)), draw(st.sampled_from(NASTY_TOKENS)).replace("\x00", ""))
        elif op == "text":
            elem.text = draw(st.sampled_from(NASTY_TOKENS)).replace("\x00", "")
        elif op in ("drop", "dup") and elem in parents:
            parent = parents[elem]
            if op == "drop":
                parent.remove(elem)
            else:
                parent.insert(list(parent).index(elem), copy.deepcopy(elem))
        elif op == "rename":
            elem.tag = draw(st.sampled_from(["image", "track", "box", "object", "annotation", "meta", "x"]))
        elif op == "nest":
            inner = elem
            for _ in range(draw(st.integers(1, 500))):
                inner = ET.SubElement(inner, "n")
        elif op == "dtd":
            prolog = draw(st.sampled_from(DOCTYPES))
        elif op == "enc":  # a declared encoding Python does not know, or expat cannot read
            encoding = draw(st.sampled_from(["utn-8", "utf-7", "idna", "rot13", "utf-16", "punycode"]))
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="{encoding}"?>\n{prolog}{body}\n'.encode()


# --------------------------------------------------------------------------------------------------- runner


@dataclass(slots=True)
class Outcome:
    """What running an importer to the end gave: its records, or the labelhub error it raised."""

    items: list[ItemRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    error: LabelhubError | None = None


def run_importer(fmt: str, source: Path, options: ImportOptions) -> Outcome:
    """Run every detector on ``source``, then the format's importer fully (labels, meta, total, every record).

    Returns the records or the :class:`LabelhubError` raised; any other exception propagates and fails the test.
    Asserts that every Problem and every FormatError names the file it is about.
    """
    for spec in FORMATS.values():
        assert spec.detect(source) in (True, False)
    out = Outcome()
    try:
        with get_format(fmt).importer_class()(source, options) as importer:
            importer.labels()
            importer.schema_meta()
            importer.total()
            for rec in importer:
                if isinstance(rec, Problem):
                    out.problems.append(rec)
                else:
                    assert isinstance(rec, ItemRecord), rec
                    out.items.append(rec)
    except LabelhubError as exc:
        assert exc.context.get("file"), f"the error names no file: {exc!r}"
        out.error = exc
    for p in out.problems:
        assert p.file, f"the problem names no file: {p}"
        assert p.message, p
    return out


Writer = Callable[[Path, bytes], None]


def write_to(rel: str) -> Writer:
    """Return a writer that puts the hostile bytes into ``root / rel``."""

    def write(root: Path, data: bytes) -> None:
        (root / rel).write_bytes(data)

    return write


def zip_bytes(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive of ``(member name, bytes)`` entries, in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()
