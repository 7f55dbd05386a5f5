"""Feature matrices: the labelling queue uses them without loading torch; batches are still tensors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from labelhub.assist.features import Features, SparseRows

# A server process answering its first "next item" (GET .../queue/next) on a project without a model. torch used to
# come with the strategies' imports and held that first answer 3-10 s on a busy 2-core machine (bench_load).
QUEUE_NEXT = """
import json, sys
from pathlib import Path
from sqlalchemy import insert
from labelhub.config import Settings
from labelhub.domain.enums import ItemKind
from labelhub.domain.schema import LabelSchema
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.projects import create_project
from labelhub.services.queue import next_item
from labelhub.services.users import actor_for, create_user
from labelhub.storage.models import Item

home = Path(sys.argv[1])
hub = Hub.open(Settings(home=home, database_url=f"sqlite:///{home / 'db.sqlite'}", dev=True))
with hub.db.session(write=True) as s:
    actor = actor_for(create_user(s, Actor.system(), "ann", "ann-password-1", is_admin=True))
    pid = create_project(s, actor, "p", item_kind=ItemKind.IMAGE, schema=LabelSchema.from_names(["cat"])).id
    s.execute(insert(Item), [{"project_id": pid, "kind": "image", "name": f"{i}.jpg", "width": 8, "height": 8,
                              "meta": {}} for i in range(5)])
with hub.db.session() as s:
    got = next_item(s, hub, actor, pid)
print(json.dumps({"next": got, "torch": "torch" in sys.modules}))
"""


def test_the_queue_answers_next_without_loading_torch(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-c", QUEUE_NEXT, str(tmp_path)], capture_output=True, text=True,
                         check=False, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["next"] is not None
    assert answer["torch"] is False


def test_batches_are_tensors_dense_and_sparse() -> None:
    import torch

    dense = Features(np.arange(12, dtype=np.float32).reshape(4, 3)).batch([0, 2])
    assert isinstance(dense, torch.Tensor)
    assert dense.tolist() == [[0.0, 1.0, 2.0], [6.0, 7.0, 8.0]]
    sparse = Features(sp.csr_matrix(np.array([[0, 2, 0], [1, 0, 3]], dtype=np.float32))).batch()
    assert isinstance(sparse, SparseRows)
    assert len(sparse) == 2
    assert sparse.indices.tolist() == [1, 0, 2]
    assert sparse.weights.tolist() == [2.0, 1.0, 3.0]
