"""Which space a query goes to, what the space listing says, and queries refused with a reason a person can act on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.services._search import SYSTEM, banking_rows, text_project
from tests.services.test_embedder_training import captioned_project, run_job

from labelhub.domain.enums import JobStatus
from labelhub.errors import ValidationError
from labelhub.hub import Hub
from labelhub.services._neighbours import Neighbours
from labelhub.services.duplicates import suggested_threshold
from labelhub.services.embedder_training import queue_embedder_training
from labelhub.services.embeddings import embed_project
from labelhub.services.search import search_text
from labelhub.services.space_status import list_spaces


def _train(hub: Hub, pid: int, kind: str, seed: int = 0) -> None:
    with hub.db.session(write=True) as s:
        job_id = queue_embedder_training(s, SYSTEM, pid, kind, epochs=2, seed=seed).id
    job = run_job(hub, job_id)
    assert job.status == JobStatus.SUCCEEDED.value, job.error


def test_a_text_query_goes_to_a_space_that_reads_text(hub: Hub, tmp_path: Path) -> None:
    pid = captioned_project(hub, tmp_path / "data")
    _train(hub, pid, "ssl")
    embed_project(hub, SYSTEM, pid)  # the default space of an image project: its own image encoder
    with hub.db.session() as s, pytest.raises(ValidationError) as err:
        search_text(s, hub, SYSTEM, pid, "a dog")
    said = err.value.detail
    assert "ssl space embeds images only" in said and "labelhub train-encoder captioned --kind dual" in said
    assert "labelhub embed captioned --space dual" in said and err.value.context["field"] == "space"

    _train(hub, pid, "dual")
    embed_project(hub, SYSTEM, pid, space="dual")
    with hub.db.session() as s:
        result = search_text(s, hub, SYSTEM, pid, "a dog", k=3)
        spaces = {sp.space: sp for sp in list_spaces(s, hub, SYSTEM, pid)}
    assert result.space == "dual" and len(result.hits) == 3
    assert spaces["ssl"].default and not spaces["ssl"].searches_text and spaces["dual"].searches_text
    assert spaces["dual"].stale == 0

    _train(hub, pid, "dual", seed=1)  # a retrained encoder: every dual vector is now of the old version
    with hub.db.session() as s:
        dual = next(sp for sp in list_spaces(s, hub, SYSTEM, pid) if sp.space == "dual")
    assert dual.stale == dual.items_total == 8


def test_an_encoder_for_images_is_refused_on_a_text_project_before_any_job(hub: Hub, tmp_path: Path) -> None:
    pid = text_project(hub, tmp_path / "data", banking_rows(per_class=1), name="texts")
    with hub.db.session(write=True) as s, pytest.raises(ValidationError, match="learns from a project's images") as err:
        queue_embedder_training(s, SYSTEM, pid, "dual")
    assert err.value.context["field"] == "kind"


def test_splits_the_bitext_folder_does_not_have_are_refused_naming_those_it_has(hub: Hub, tmp_path: Path) -> None:
    pid = captioned_project(hub, tmp_path / "data")
    folder = tmp_path / "bitext"
    folder.mkdir()
    for name in ("val.en", "val.de", "test_2016.en", "test_2016.de"):
        (folder / name).write_text("a dog\n", encoding="utf-8")
    with hub.db.session(write=True) as s, pytest.raises(ValidationError) as err:
        queue_embedder_training(s, SYSTEM, pid, "dual", bitext=str(folder), bitext_splits=["vall"])
    assert "unknown split(s) 'vall'" in err.value.detail and "test_2016, val" in err.value.detail
    assert err.value.context["field"] == "bitext_splits"
    with hub.db.session(write=True) as s:
        assert queue_embedder_training(s, SYSTEM, pid, "dual", bitext=str(folder), bitext_splits=["val"]).id


def test_queries_of_symbols_and_unknown_labels_are_refused(hub: Hub, tmp_path: Path) -> None:
    pid = text_project(hub, tmp_path / "data", banking_rows(per_class=2), name="bank")
    embed_project(hub, SYSTEM, pid)
    with hub.db.session() as s:
        with pytest.raises(ValidationError, match="type words") as symbols:
            search_text(s, hub, SYSTEM, pid, "🐶🐕 !!")
        with pytest.raises(ValidationError, match="'card_arival' is not a label of this project") as label:
            search_text(s, hub, SYSTEM, pid, "my card", label="card_arival")
        assert search_text(s, hub, SYSTEM, pid, "my card", label="card_arrival").hits  # a real label still filters
    assert (symbols.value.context["field"], label.value.context["field"]) == ("q", "label")


def test_the_suggested_threshold_is_ten_times_closer_than_a_typical_neighbour() -> None:
    def graph(nearest: list[float]) -> Neighbours:
        n = len(nearest)
        return Neighbours(ids=np.arange(n, dtype=np.int64), nbr=np.ones((n, 1), dtype=np.int64),
                          score=np.array(nearest, dtype=np.float32)[:, None])  # fmt: skip

    # An encoder trained on a hundred images packs everything close: unrelated pairs at 0.99 stay apart.
    assert suggested_threshold(graph([0.96, 0.97, 0.97, 0.98, 1.0])) == pytest.approx(0.997)
    # A pretrained one spreads distinct photos out: the threshold comes down, never under 0.9.
    assert suggested_threshold(graph([0.6, 0.7, 0.8])) == pytest.approx(0.97)
    assert suggested_threshold(graph([-0.2, -0.1])) == 0.9
    assert suggested_threshold(graph([1.0, 1.0])) == 0.999
    assert suggested_threshold(graph([0.9])) is None


def test_a_dual_training_reports_recall_on_translation_pairs_it_kept_out(hub: Hub, tmp_path: Path) -> None:
    pid = captioned_project(hub, tmp_path / "data")
    words = ["Hund", "Katze", "Haus", "Baum", "Auto", "Ball", "Tisch", "Stuhl", "Fenster", "Tür"]
    english = ["dog", "cat", "house", "tree", "car", "ball", "table", "chair", "window", "door"]
    bitext = tmp_path / "pairs.tsv"
    bitext.write_text("".join(f"ein {w} Nummer {i}\ta {e} number {i}\tde\n" for i in range(6)
                              for w, e in zip(words, english, strict=True)), encoding="utf-8")  # fmt: skip
    with hub.db.session(write=True) as s:
        job_id = queue_embedder_training(s, SYSTEM, pid, "dual", epochs=2, bitext=str(bitext)).id
    job = run_job(hub, job_id)
    assert job.status == JobStatus.SUCCEEDED.value, job.error
    result = job.result or {}
    # 60 pairs: 6 kept out, 54 trained on; 8 captioned images are too few to keep any out.
    assert (result["translation_pairs"], result["held_out_translation_pairs"], result["held_out_images"]) == (54, 6, 0)
    figures = result["held_out_recall"]
    assert set(figures) == {"translations"} and figures["translations"]["n"] == 6
    for way in ("to_english", "from_english"):
        r = figures["translations"][way]
        assert 0.0 <= r["r@1"] <= r["r@5"] <= r["r@10"] == 1.0  # 6 candidates: the match is always in the top 10
    assert figures["translations"]["chance"] == {"r@1": round(1 / 6, 4), "r@5": round(5 / 6, 4), "r@10": 1.0}


def test_recall_counts_a_query_whose_match_is_ranked_within_k() -> None:
    from labelhub.services.embedder_eval import _recall

    eye = np.eye(4, dtype=np.float32)
    assert _recall(eye, eye) == {"r@1": 1.0, "r@5": 1.0, "r@10": 1.0}
    shifted = np.roll(eye, 1, axis=0)  # query i best matches candidate i - 1, its own match ties the rest at 0
    assert _recall(shifted, eye)["r@1"] == 0.0


def test_a_hint_quotes_the_project_name_so_the_command_can_be_pasted(hub: Hub, tmp_path: Path) -> None:
    """QA docs finding 9: the demo's names hold spaces and a colon (`labelhub embed Demo: bank` cannot be pasted)."""
    pid = text_project(hub, tmp_path / "data", banking_rows(per_class=1), name="Demo: bank")
    with hub.db.session(write=True) as s, pytest.raises(ValidationError) as err:
        queue_embedder_training(s, SYSTEM, pid, "dual")
    assert "`labelhub embed 'Demo: bank'`" in err.value.detail
