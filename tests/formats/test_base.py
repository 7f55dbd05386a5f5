"""The exporter contract: whatever fails, body or trailer, the partial output is removed; media asked for but
not stored fail the export, naming the items."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord
from labelhub.errors import FormatError
from labelhub.formats.base import ExportItem, ExportOptions, FormatExporter
from labelhub.formats.voc import VocExporter


class _TrailerFails(FormatExporter):
    def open(self) -> None:
        self.dest.write_text("header\n")

    def write(self, item: ExportItem) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise OSError("disk full while writing the trailer")

    def abort(self) -> None:
        self.dest.unlink(missing_ok=True)


def test_a_failing_finish_removes_the_partial_output(tmp_path: Path) -> None:
    dest = tmp_path / "out.json"
    with pytest.raises(OSError, match="disk full"), _TrailerFails(dest, [], ExportOptions()):
        assert dest.exists()
    assert not dest.exists()


def test_copy_media_without_stored_media_fails_naming_the_first_items_and_counting_the_rest(tmp_path: Path) -> None:
    items = [ItemRecord(kind=ItemKind.IMAGE, name=f"img_{i:02d}.png", width=8, height=8) for i in range(12)]
    dest = tmp_path / "out"
    with (
        pytest.raises(FormatError, match=r"media of 12 items.*'img_00\.png', .*'img_09\.png' and 2 more") as err,
        VocExporter(dest, [], ExportOptions(copy_media=True)) as exporter,
    ):
        for rec in items:
            exporter.write(ExportItem(record=rec))
    assert "'img_10.png'" not in err.value.detail
    assert err.value.context["items"] == [rec.name for rec in items]
    assert list(tmp_path.iterdir()) == []
