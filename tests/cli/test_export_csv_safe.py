"""``labelhub export -o csv_safe=true``: a text CSV meant for a spreadsheet, its formula-like cells prefixed."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.cli._support import Env, ok, run


def _cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))[1:]


def test_csv_safe_prefixes_formula_cells_and_the_default_keeps_them(cli_env: Env, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('id,text,label\nt1,"=HYPERLINK(""http://x"")",@bad\nt2,hello,greet\n', encoding="utf-8")
    ok(cli_env, "project", "create", "notes", "--kind", "text")
    ok(cli_env, "import", "notes", str(src), "--format", "text")

    ok(cli_env, "export", "notes", str(tmp_path / "exact.csv"), "--format", "text")
    assert sorted(_cells(tmp_path / "exact.csv")) == [
        ["t1", '=HYPERLINK("http://x")', "@bad"],
        ["t2", "hello", "greet"],
    ]
    ok(cli_env, "export", "notes", str(tmp_path / "safe.csv"), "--format", "text", "-o", "csv_safe=true")
    assert sorted(_cells(tmp_path / "safe.csv")) == [
        ["t1", '\'=HYPERLINK("http://x")', "'@bad"],
        ["t2", "hello", "greet"],
    ]

    bad = run(cli_env, "export", "notes", str(tmp_path / "x.csv"), "--format", "text", "-o", "csv_safe=maybe")
    assert bad.exit_code != 0 and "option csv_safe must be true or false" in " ".join(bad.output.split())
