"""The exporter contract: whatever fails, body or trailer, the partial output is removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelhub.formats.base import ExportItem, ExportOptions, FormatExporter


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
