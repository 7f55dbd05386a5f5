"""The command line and the server start without loading the model runtimes (they load when a job needs them)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "sklearn", "onnxruntime", "umap", "open_clip")


def _loaded_after(statement: str) -> list[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "statement",
    [
        "import labelhub.cli",
        "import labelhub.api.app",
        "from labelhub.jobs.executor import LocalExecutor; from labelhub.jobs.handlers import default_handlers; "
        "default_handlers()",
    ],
)
def test_start_up_does_not_load_model_runtimes(statement: str) -> None:
    assert _loaded_after(statement) == []


def test_loading_a_predictor_registers_the_built_in_kinds() -> None:
    statement = "from labelhub.assist.predictors import loader_kinds\nprint(json.dumps(loader_kinds()))"
    code = f"import json\n{statement}"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    kinds = json.loads(out.stdout.strip())
    assert {"text_classifier", "image_classifier", "onnx_detector", "label_studio_ml"} <= set(kinds)
