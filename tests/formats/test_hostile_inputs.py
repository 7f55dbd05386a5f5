"""Every importer against random and mutated files: records, Problems or a labelhub error, never a crash.

Each case in :mod:`tests.formats._hostile_samples` starts from a small valid source of its format (checked to
import cleanly first); hypothesis then rewrites one of its files with random bytes or a mutation of the valid
bytes (see :mod:`tests.formats._hostile`) and the importer is run to the end, with every format's detector
tried on the source first. Anything but a :class:`LabelhubError` fails, and so does a Problem or a FormatError
that does not name its file. The runs are derandomized, so CI sees the same examples every time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.formats._hostile import FUZZ, run_importer
from tests.formats._hostile_samples import CASES, Case

from labelhub.formats import get_format

CASE_IDS = sorted(CASES)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_the_valid_sample_imports_cleanly(case_id: str, tmp_path: Path) -> None:
    case = CASES[case_id]
    source = case.build(tmp_path)
    assert get_format(case.fmt).detect(source)
    out = run_importer(case.fmt, source, case.import_options())
    assert out.error is None and out.problems == []
    assert (len(out.items), sum(len(i.annotations) for i in out.items)) == case.expect


def hostile_source(case: Case, root: Path, data: st.DataObject) -> Path:
    """Build the case's sample in ``root`` and rewrite one of its files with drawn hostile bytes."""
    source = case.build(root)
    target = data.draw(st.sampled_from(case.targets), label="target")
    valid = (root / target.rel).read_bytes() if (root / target.rel).is_file() else b""
    hostile = data.draw(target.mutate(valid), label=f"bytes of {target.rel}")
    target.writer()(root, hostile)
    return source


@pytest.mark.parametrize("case_id", CASE_IDS)
@FUZZ
@given(data=st.data())
def test_mutated_sources_give_records_problems_or_a_labelhub_error(case_id: str, data: st.DataObject) -> None:
    case = CASES[case_id]
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        root = Path(tmp)
        source = hostile_source(case, root, data)
        run_importer(case.fmt, source, case.import_options())
