"""The embedding job on real texts and images: incremental runs, changes, deletions, restarts, lost indexes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, func, select, update
from tests.api._video import otb_frames, video_of_frames
from tests.builders import new_project
from tests.services._search import SYSTEM, banking_rows, coco_images, configure, image_project, item_ids, text_project
from tests.services._search import tiny_clip as tiny_clip  # a fixture

from labelhub.config import Settings
from labelhub.domain.enums import ItemKind
from labelhub.errors import FormatError, JobCancelled, ValidationError
from labelhub.hub import Hub
from labelhub.jobs.executor import LocalExecutor
from labelhub.search import open_index
from labelhub.services import _neighbours
from labelhub.services._neighbours import GRAPH_FILE, Neighbours, compute_neighbours, index_state, load_graph
from labelhub.services._spaces import index_folder, load_embedder, read_state
from labelhub.services.embeddings import embed_project, queue_embedding
from labelhub.services.projects import delete_project, remove_project_files
from labelhub.services.search import search_text
from labelhub.services.space_status import list_spaces
from labelhub.storage.models import Embedding, Item, utcnow


@pytest.fixture
def texts(hub: Hub, tmp_path: Path) -> int:
    return text_project(hub, tmp_path / "data", banking_rows(per_class=6))


def _rows(hub: Hub, pid: int) -> dict[int, tuple[str, bytes]]:
    with hub.db.session() as s:
        rows = s.execute(
            select(Embedding.item_id, Embedding.source_hash, Embedding.vector).where(Embedding.project_id == pid)
        )
        return {i: (h, v) for i, h, v in rows}


def test_second_run_embeds_nothing(hub: Hub, texts: int) -> None:
    seen: list[tuple[float, str]] = []
    first = embed_project(hub, SYSTEM, texts, progress=lambda f, m: seen.append((f, m)))
    assert (first.space, first.backend, first.items, first.embedded, first.unchanged) == ("ngram", "exact", 30, 30, 0)
    messages = [m for _, m in seen]
    assert messages[0] == "embedded 0 of 30 items" and "embedded 30 of 30 items" in messages
    assert messages[-3:] == ["neighbour graph: 0 of 30 items", "neighbour graph: 30 of 30 items",
                             "neighbour graph: 30 items"]  # fmt: skip
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0  # the graph is the last phase of one bar
    rows = _rows(hub, texts)
    assert len(rows) == 30
    assert all(len(v) == 512 * 4 for _, v in rows.values())  # float32 bytes of the 512-d n-gram vectors
    index = open_index(index_folder(hub.settings, texts, "ngram"))
    assert sorted(index.ids().tolist()) == sorted(rows)
    stored = np.frombuffer(next(iter(rows.values()))[1], dtype="<f4")
    assert abs(float(np.linalg.norm(stored)) - 1.0) < 1e-5

    second = embed_project(hub, SYSTEM, texts)
    assert (second.embedded, second.unchanged, second.removed, second.restored) == (0, 30, 0, 0)
    assert _rows(hub, texts) == rows


def test_a_changed_text_is_embedded_again(hub: Hub, texts: int) -> None:
    embed_project(hub, SYSTEM, texts)
    target = item_ids(hub, texts)["t003"]
    new_text = "How many days does a bank transfer to Germany take?"
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.id == target).values(text=new_text))
    report = embed_project(hub, SYSTEM, texts)
    assert (report.embedded, report.unchanged) == (1, 29)
    assert _rows(hub, texts)[target][0] == hashlib.sha256(new_text.encode()).hexdigest()
    with hub.db.session() as s:
        hits = search_text(s, hub, SYSTEM, texts, "bank transfer to Germany", k=3).hits
    assert hits[0].item_id == target


def test_a_deleted_item_leaves_rows_and_index(hub: Hub, texts: int) -> None:
    embed_project(hub, SYSTEM, texts)
    gone = item_ids(hub, texts)["t010"]
    with hub.db.session(write=True) as s:
        s.execute(delete(Item).where(Item.id == gone))
    report = embed_project(hub, SYSTEM, texts)
    assert report.embedded == 0 and report.items == 29
    index = open_index(index_folder(hub.settings, texts, "ngram"))
    assert gone not in index and len(index) == 29
    assert gone not in _rows(hub, texts)


def test_the_index_survives_a_restart(settings: Settings, hub: Hub, texts: int) -> None:
    embed_project(hub, SYSTEM, texts)
    with hub.db.session() as s:
        before = [(h.item_id, h.score) for h in search_text(s, hub, SYSTEM, texts, "my card has not arrived").hits]
    hub.close()
    again = Hub.open(settings)
    try:
        with again.db.session() as s:
            after = [(h.item_id, h.score) for h in search_text(s, again, SYSTEM, texts, "my card has not arrived").hits]
        assert after == before and len(after) == 24
        report = embed_project(again, SYSTEM, texts)
        assert (report.embedded, report.restored) == (0, 0)
    finally:
        again.close()


def test_a_lost_index_is_refilled_from_the_stored_vectors(hub: Hub, texts: int) -> None:
    embed_project(hub, SYSTEM, texts)
    shutil.rmtree(index_folder(hub.settings, texts, "ngram"))
    report = embed_project(hub, SYSTEM, texts)
    assert (report.embedded, report.restored) == (0, 30)
    assert len(open_index(index_folder(hub.settings, texts, "ngram"))) == 30


def test_a_large_project_gets_hnswlib_and_an_exact_index_moves_over(hub: Hub, texts: int) -> None:
    assert embed_project(hub, SYSTEM, texts).backend == "exact"
    report = embed_project(hub, SYSTEM, texts, exact_limit=20)  # as if the project had outgrown the exact index
    assert (report.backend, report.embedded, report.restored) == ("hnswlib", 0, 30)
    state = read_state(hub.settings, texts, "ngram")
    assert state is not None and state.backend == "hnswlib"
    with hub.db.session() as s:
        assert search_text(s, hub, SYSTEM, texts, "exchange rate", k=1).hits[0].score > 0.3


def test_another_embedder_version_recomputes_everything(hub: Hub, texts: int) -> None:
    embed_project(hub, SYSTEM, texts)
    configure(hub, {"ngram": {"dim": 256}})
    report = embed_project(hub, SYSTEM, texts)
    assert report.embedded == 30 and report.embedder_version != "1-d512-c3-5-w1-2"
    with hub.db.session() as s:
        dims = set(s.scalars(select(Embedding.dim).where(Embedding.project_id == texts)))
        [summary] = list_spaces(s, hub, SYSTEM, texts)
    assert dims == {256}
    assert (summary.space, summary.count, summary.stale, summary.dim, summary.default) == ("ngram", 30, 0, 256, True)


def test_the_listing_counts_stale_items(hub: Hub, texts: int) -> None:
    with hub.db.session() as s:
        [empty] = list_spaces(s, hub, SYSTEM, texts)
    assert (empty.count, empty.stale, empty.items_total, empty.backend) == (0, 30, 30, None)
    embed_project(hub, SYSTEM, texts)
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.id == item_ids(hub, texts)["t000"]).values(text="changed"))
    with hub.db.session() as s:
        [summary] = list_spaces(s, hub, SYSTEM, texts)
    assert (summary.count, summary.stale, summary.backend) == (30, 1, "exact")


def test_images_are_embedded_by_a_configured_open_clip(hub: Hub, tmp_path: Path, tiny_clip: dict[str, str]) -> None:
    files = {f"img/{p.name}": p for p in coco_images(5)}
    pid = image_project(hub, tmp_path / "imgs", files)
    with pytest.raises(ValidationError, match="no embedder for image items"):
        embed_project(hub, SYSTEM, pid)
    configure(hub, {"open_clip": tiny_clip})
    report = embed_project(hub, SYSTEM, pid)
    assert (report.space, report.embedded, report.errors) == ("open_clip", 5, [])
    checkpoint = hashlib.sha256(Path(tiny_clip["pretrained"]).read_bytes()).hexdigest()
    assert report.embedder_version.endswith(f"@{checkpoint[:12]}")  # the weights name the version
    with hub.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Embedding).where(Embedding.dim == 32)) == 5
    assert embed_project(hub, SYSTEM, pid).embedded == 0


def test_embedder_settings_from_the_environment_replace_the_file(
    hub: Hub, tmp_path: Path, tiny_clip: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"img/{p.name}": p for p in coco_images(3)}
    pid = image_project(hub, tmp_path / "imgs", files)
    configure(hub, {"open_clip": {"model": "no-such-model", "colour": "red"}})  # the file's entry is not used
    monkeypatch.setenv("LABELHUB_EMBEDDERS", json.dumps({"open_clip": tiny_clip}))
    env_hub = Hub.open(Settings(home=hub.settings.home, database_url=hub.settings.db_url, dev=True))
    try:
        assert env_hub.settings.embedders == {"open_clip": tiny_clip}
        report = embed_project(env_hub, SYSTEM, pid)
        assert (report.space, report.embedded, report.errors) == ("open_clip", 3, [])
    finally:
        env_hub.close()
    # Without the variable the file's entry counts again, and its unknown setting is named with where it is.
    with pytest.raises(ValidationError, match=r"embedders\.json: open_clip has no settings \['colour'\]"):
        embed_project(hub, SYSTEM, pid)
    monkeypatch.setenv("LABELHUB_EMBEDDERS", json.dumps({"open_clip": {**tiny_clip, "colour": "red"}}))
    bad = Hub.open(Settings(home=hub.settings.home, database_url=hub.settings.db_url, dev=True))
    try:
        with pytest.raises(ValidationError, match=r"LABELHUB_EMBEDDERS: open_clip has no settings \['colour'\]"):
            embed_project(bad, SYSTEM, pid)
    finally:
        bad.close()


def test_a_video_is_embedded_from_its_middle_frame(hub: Hub, tmp_path: Path, tiny_clip: dict[str, str]) -> None:
    frames = otb_frames(5)
    pid = new_project(hub, "videos", ItemKind.VIDEO)
    video = video_of_frames(hub, pid, frames, tmp_path)
    configure(hub, {"open_clip": tiny_clip})
    report = embed_project(hub, SYSTEM, pid)
    assert (report.space, report.embedded, report.errors) == ("open_clip", 1, [])
    stored = np.frombuffer(_rows(hub, pid)[video][1], dtype="<f4")
    embedder = load_embedder(hub, pid, "open_clip")
    each = embedder.embed_images(frames)  # the frames of a walk differ little: compare the vectors themselves
    assert [bool(np.allclose(stored, v, atol=1e-5)) for v in each] == [False, False, True, False, False]


def test_a_broken_embedder_file_is_named(hub: Hub, texts: int) -> None:
    (hub.settings.home / "embedders.json").write_text("{not json")
    with pytest.raises(FormatError, match=r"embedders\.json") as caught:
        embed_project(hub, SYSTEM, texts)
    assert caught.value.context["file"] == str(hub.settings.home / "embedders.json")
    configure(hub, {"ngram": {"dims": 3}})
    with pytest.raises(ValidationError, match="no settings \\['dims'\\]"):
        embed_project(hub, SYSTEM, texts)


def test_rows_written_after_the_last_index_save_are_added_again(hub: Hub, texts: int) -> None:
    embed_project(hub, SYSTEM, texts)
    target = item_ids(hub, texts)["t004"]
    folder = index_folder(hub.settings, texts, "ngram")
    vector = np.random.default_rng(0).normal(size=512).astype(np.float32)
    vector /= np.linalg.norm(vector)
    # What a run that stopped between committing a batch's rows and its next index save leaves behind.
    with hub.db.session(write=True) as s:
        s.execute(update(Embedding).where(Embedding.item_id == target)
                  .values(vector=vector.astype("<f4").tobytes(), updated_at=utcnow()))  # fmt: skip
    assert not np.allclose(open_index(folder).get([target])[0], vector, atol=1e-5)
    report = embed_project(hub, SYSTEM, texts)
    assert (report.embedded, report.restored) == (0, 1)
    assert np.allclose(open_index(folder).get([target])[0], vector, atol=1e-6)


def test_a_cancelled_run_keeps_its_batches_and_the_next_one_finishes(hub: Hub, texts: int) -> None:
    def stop_after_first_batch(fraction: float, message: str) -> None:
        if fraction > 0:
            raise JobCancelled("cancelled", field="cancel_requested")

    with pytest.raises(JobCancelled):
        embed_project(hub, SYSTEM, texts, progress=stop_after_first_batch, batch_size=8)
    assert len(_rows(hub, texts)) == 8
    assert len(open_index(index_folder(hub.settings, texts, "ngram"))) == 8  # saved on the way out
    report = embed_project(hub, SYSTEM, texts)
    assert (report.embedded, report.unchanged, report.restored) == (22, 8, 0)


# --- the neighbour graph saved at the end of a run ------------------------------------------------------------
def _saved_graph(hub: Hub, pid: int) -> Neighbours | None:
    """Return the graph file of the project's n-gram index when it is of the index's current state."""
    index = open_index(index_folder(hub.settings, pid, "ngram"))
    return load_graph(index, index_state(index))


def _same(a: Neighbours, b: Neighbours) -> bool:
    return all(np.array_equal(x, y) for x, y in ((a.ids, b.ids), (a.nbr, b.nbr), (a.score, b.score)))


def _no_compute(*args: object, **kwargs: object) -> Neighbours:
    raise AssertionError("the neighbour graph was computed")


def test_the_embed_job_saves_the_graph_and_a_run_that_changes_nothing_keeps_it(
    hub: Hub, texts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with hub.db.session(write=True) as s:
        queue_embedding(s, hub, SYSTEM, texts, None)
    assert LocalExecutor(hub).run_once()
    folder = index_folder(hub.settings, texts, "ngram")
    saved = _saved_graph(hub, texts)
    assert (folder / GRAPH_FILE).is_file() and saved is not None
    assert _same(saved, compute_neighbours(open_index(folder)))
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]  # written whole, then moved
    before = index_state(open_index(folder))
    monkeypatch.setattr(_neighbours, "compute_neighbours", _no_compute)
    seen: list[str] = []
    report = embed_project(hub, SYSTEM, texts, progress=lambda f, m: seen.append(m))
    assert report.embedded == 0 and seen[-1] == "neighbour graph: 30 items, unchanged"
    after = _saved_graph(hub, texts)  # the run saved the index again: the graph is saved under its new state
    assert index_state(open_index(folder)) != before and after is not None and _same(after, saved)


def test_a_changed_text_gets_a_new_graph(hub: Hub, texts: int) -> None:
    embed_project(hub, SYSTEM, texts)
    old = _saved_graph(hub, texts)
    target = item_ids(hub, texts)["t003"]
    with hub.db.session(write=True) as s:
        s.execute(update(Item).where(Item.id == target).values(text="How long does a transfer to Germany take?"))
    embed_project(hub, SYSTEM, texts)
    new = _saved_graph(hub, texts)
    assert old is not None and new is not None and np.array_equal(old.ids, new.ids)  # same items, other vectors
    assert not _same(old, new)
    assert _same(new, compute_neighbours(open_index(index_folder(hub.settings, texts, "ngram"))))


def test_a_graph_left_from_before_a_refill_or_a_project_delete_is_not_trusted(hub: Hub, texts: int) -> None:
    embed_project(hub, SYSTEM, texts)
    folder = index_folder(hub.settings, texts, "ngram")
    left = (folder / GRAPH_FILE).read_bytes()
    shutil.rmtree(folder)
    embed_project(hub, SYSTEM, texts)  # refilled from the stored vectors: the same ids in a new index
    (folder / GRAPH_FILE).write_bytes(left)  # as if the old file had stayed
    assert _saved_graph(hub, texts) is None
    with hub.db.session(write=True) as s:
        delete_project(s, SYSTEM, texts)
    remove_project_files(hub.settings.home, texts)
    assert not folder.exists()  # the graph goes with the index folder
    again = text_project(hub, hub.settings.home.parent / "again", banking_rows(per_class=6), name="again")
    embed_project(hub, SYSTEM, again)
    other = index_folder(hub.settings, again, "ngram")
    (other / GRAPH_FILE).write_bytes(left)  # a graph of the deleted project's index, in the new project's folder
    assert _saved_graph(hub, again) is None
