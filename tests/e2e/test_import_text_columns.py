"""A CSV of texts whose columns have names of their own, imported through the import dialog: the Text format asks
for the text and label columns (other formats do not), a column that is not in the file fails the import with an
error naming the file and the columns it has, and the right names import every row with its label, from a
folder on the server and from an upload.

The columns are named ``transcript`` and ``gold_intent`` on purpose: the importer finds ``text``, ``sentence``
and ``utterance`` (and ``label``, ``category``, ``intent``, ``class``) by itself, so only other names need the
dialog's fields."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login

ROWS = [("call-1", "hello, I would like to open an account", "open_account"),
        ("call-2", "my card was swallowed by the machine", "card_swallowed"),
        ("call-3", "please close my account today", "close_account")]  # fmt: skip


def test_the_import_dialog_sets_the_text_and_label_columns(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Call centre", [], item_kind="text")
    pid = project["id"]
    folder = server.files / "call-centre"
    folder.mkdir()
    source = folder / "calls.csv"
    source.write_text("id,transcript,gold_intent\n" + "".join(f'{i},"{t}",{lb}\n' for i, t, lb in ROWS))

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    page.get_by_test_id("import-button").click()
    dialog = page.get_by_test_id("import-dialog")
    options = dialog.get_by_test_id("format-options")

    # Only a format that takes columns asks for them, for a folder on the server and an upload alike.
    expect(options).to_have_count(0)
    dialog.get_by_label("Format").select_option("text")
    expect(options).to_be_visible()
    dialog.get_by_role("tab", name="Upload a file").click()
    expect(options).to_be_visible()
    dialog.get_by_role("tab", name="Folder on the server").click()
    dialog.get_by_label("Path on the server").fill(str(source))

    # A wrong guess at the text column: the import fails and says which file and which columns it has.
    dialog.get_by_label("Text column").fill("utterance")
    shots(page, "text-column-guessed")
    dialog.get_by_test_id("start-import").click()
    progress = dialog.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "failed", timeout=60_000)
    expect(dialog.get_by_test_id("job-error-detail")).to_have_text(
        "no column 'utterance'; the header has ['id', 'transcript', 'gold_intent']"
    )
    expect(dialog.get_by_test_id("job-error-where").first).to_have_text(f"File: {source}, line 1")
    shots(page, "unknown-column")
    assert server.api.get(f"{API}/projects/{pid}/items").json()["items"] == []

    # Back to the form (the path and the column kept), the right names, and every row comes in with its label.
    dialog.get_by_test_id("import-edit").click()
    expect(dialog.get_by_label("Path on the server")).to_have_value(str(source))
    expect(dialog.get_by_label("Text column")).to_have_value("utterance")
    dialog.get_by_label("Text column").fill("transcript")
    dialog.get_by_label("Label column").fill("gold_intent")
    dialog.get_by_test_id("start-import").click()
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(dialog.get_by_test_id("job-result")).to_contain_text("3 items added, 3 annotations")
    shots(page, "imported")
    dialog.get_by_test_id("import-close").click()

    thumbs = page.get_by_test_id("thumb")
    expect(thumbs).to_have_count(3)
    for thumb, (name, text, _) in zip(thumbs.all(), ROWS, strict=True):
        expect(thumb).to_contain_text(text)
        expect(thumb).to_contain_text(name)
    expect(page.get_by_test_id("shown-count")).to_have_text("3 items")
    items = server.api.get(f"{API}/projects/{pid}/items").json()["items"]
    labels = {it["name"]: server.api.get(f"{API}/projects/{pid}/items/{it['id']}/annotations").json()["annotations"]
              for it in items}  # fmt: skip
    assert {n: [a["label"] for a in anns] for n, anns in labels.items()} == {i: [lb] for i, _, lb in ROWS}

    # An uploaded file takes the same columns.
    more = folder / "more-calls.csv"
    more.write_text('id,transcript,gold_intent\ncall-4,"what is my balance",balance\n')
    page.get_by_test_id("import-button").click()
    dialog.get_by_label("Format").select_option("text")
    dialog.get_by_role("tab", name="Upload a file").click()
    dialog.get_by_label("File").set_input_files(str(more))
    dialog.get_by_label("Text column").fill("transcript")
    dialog.get_by_label("Label column").fill("gold_intent")
    dialog.get_by_test_id("start-import").click()
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(dialog.get_by_test_id("job-result")).to_contain_text("1 item added, 1 annotation")
    dialog.get_by_test_id("import-close").click()
    expect(page.get_by_test_id("thumb").filter(has_text="what is my balance")).to_have_count(1)
