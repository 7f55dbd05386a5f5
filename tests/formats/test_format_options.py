"""Format options: each format declares the keys it reads, and any other key is refused with the closest one;
the CSV reader's column and separator messages speak in options."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.builders import new_project

from labelhub.domain.enums import ItemKind
from labelhub.errors import FormatError, ValidationError
from labelhub.formats import ExportOptions, ImportOptions, check_options, get_format
from labelhub.formats.registry import detect_format
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.services.uploads import checked_options

SYSTEM = Actor.system()


def test_a_misspelt_option_is_refused_with_the_key_it_resembles() -> None:
    with pytest.raises(ValidationError, match="did you mean 'label_column'") as err:
        check_options(get_format("text"), {"lable_column": "gold"}, "import")
    assert err.value.context == {"field": "options.lable_column"}
    assert "delimiter, label_column, text_column" in err.value.detail
    with pytest.raises(ValidationError, match=r"'bogus' for the voc format's import.*takes no options"):
        check_options(get_format("voc"), {"bogus": "1"}, "import")
    with pytest.raises(ValidationError, match="'segmentation' for the coco format's export"):
        check_options(get_format("coco"), {"segmentation": "false"}, "export")
    check_options(get_format("coco"), {"segmentation": "false", "report_path": "/tmp/r.json"}, "import")
    check_options(get_format("webdataset"), {"shard_size": "10", "format_meta": {}}, "export")


def test_api_options_unknown_to_every_format_are_refused_and_paths_still_checked(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown option 'bogus' for any format") as err:
        checked_options({"bogus": "1"}, [tmp_path])
    assert err.value.context == {"field": "options.bogus"}
    assert checked_options({"text_column": "t"}, [tmp_path]) == {"text_column": "t"}
    with pytest.raises(ValidationError, match="did you mean 'text_column'"):
        checked_options({"txt_column": "t"}, [tmp_path], fmt="text", side="import")
    with pytest.raises(ValidationError, match="the text format's export"):
        checked_options({"delimiter": ";"}, [tmp_path], fmt="text", side="export")


def test_import_and_export_refuse_options_their_format_does_not_read(hub: Hub, tmp_path: Path) -> None:
    (tmp_path / "gold.csv").write_text("text,gold\nhello,greet\n")
    pid = new_project(hub, "opts", ItemKind.TEXT)
    opts = ImportOptions(extra={"lable_column": "gold"})
    with pytest.raises(ValidationError, match="did you mean 'label_column'"):
        import_source(hub, SYSTEM, pid, tmp_path / "gold.csv", fmt="text", options=opts)
    with pytest.raises(ValidationError, match="did you mean 'label_column'"):
        import_source(hub, SYSTEM, pid, tmp_path / "gold.csv", options=opts)  # auto: checked once detected
    good = ImportOptions(extra={"label_column": "gold"})
    report = import_source(hub, SYSTEM, pid, tmp_path / "gold.csv", options=good)
    assert report.annotations_added == 1
    with pytest.raises(ValidationError, match="'bogus' for the text format's export"):
        export_project(hub, SYSTEM, pid, tmp_path / "o.csv", fmt="text", options=ExportOptions(extra={"bogus": "1"}))
    assert not (tmp_path / "o.csv").exists()


def _read_csv(tmp_path: Path, text: str, **extra: str) -> list[object]:
    from labelhub.formats.text_table import TextImporter

    path = tmp_path / "t.csv"
    path.write_text(text)
    with TextImporter(path, ImportOptions(extra=extra)) as imp:
        return list(imp)


def test_a_missing_text_column_names_the_option_and_the_separator(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"name one with the option text_column \(-o text_column=NAME") as err:
        _read_csv(tmp_path, "sentence_x,cat\nhello,greet\n")
    assert "extra[" not in err.value.detail
    with pytest.raises(FormatError, match=r"looks separated by ';'.*-o delimiter=;"):
        _read_csv(tmp_path, "text;category\nhello;greet\n")
    with pytest.raises(FormatError, match=r"looks separated by tabs.*-o delimiter=tab"):
        _read_csv(tmp_path, "text\tcategory\nhello\tgreet\n")


def test_the_delimiter_option_reads_other_separators(tmp_path: Path) -> None:
    (item,) = _read_csv(tmp_path, "text;category\nhello;greet\n", delimiter=";")
    assert item.text == "hello" and [a.label for a in item.annotations] == ["greet"]
    (item,) = _read_csv(tmp_path, "text\tcategory\nhi there\tgreet\n", delimiter="tab")
    assert item.text == "hi there"
    with pytest.raises(FormatError, match="delimiter must be one character"):
        _read_csv(tmp_path, "text\nx\n", delimiter=";;")


def test_options_steer_automatic_detection(tmp_path: Path) -> None:
    """QA docs finding 2: ``-o text_column=utterance_x`` with the default ``--format auto`` failed with "could not
    tell the format ... add -o text_column=NAME"."""
    csv = tmp_path / "b.csv"
    csv.write_text("utterance_x,intent_x\nwhere is my card,card_arrival\n")
    with pytest.raises(FormatError, match="could not tell the format"):
        detect_format(csv, ItemKind.TEXT)
    assert detect_format(csv, ItemKind.TEXT, ["text_column", "label_column"]).name == "text"
    with pytest.raises(FormatError, match="could not tell the format"):
        detect_format(csv, ItemKind.TEXT, ["report_path"])  # a key every import takes does not steer
    with pytest.raises(ValidationError, match="did you mean 'label_column'") as err:
        detect_format(csv, ItemKind.TEXT, ["lable_column"])
    assert err.value.context == {"field": "options.lable_column"}
    with pytest.raises(ValidationError, match="no format of an image project reads all of the options text_column"):
        detect_format(csv, ItemKind.IMAGE, ["text_column"])
    coco = tmp_path / "instances.json"
    coco.write_text('{"images": [], "annotations": [], "categories": []}')
    assert detect_format(coco, ItemKind.IMAGE, ["segmentation"]).name == "coco"  # one reader: that format
    assert detect_format(coco, ItemKind.IMAGE).name == "coco"
