"""The web UI's generated API client is built from web/openapi.json, which must match the server's schema."""

from __future__ import annotations

import json

from tests.conftest import REPO
from typer.testing import CliRunner

from labelhub.cli import app
from labelhub.cli.openapi import openapi_schema

COMMITTED = REPO / "web" / "openapi.json"


def test_labelhub_openapi_prints_the_schema_with_stable_operation_ids() -> None:
    result = CliRunner().invoke(app, ["openapi"], env={"LABELHUB_HOME": "/nonexistent", "LABELHUB_DEV": "0"})
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    ids = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    # Operation ids are the route functions' names, so the generated client's names do not drift.
    assert {"login", "list_projects", "list_items", "replace_annotations", "start_import", "get_job"} <= ids
    assert all(p.startswith("/api/v1/") for p in schema["paths"])


def test_the_committed_schema_matches_the_server() -> None:
    committed = json.loads(COMMITTED.read_text())
    assert committed == openapi_schema(), (
        "web/openapi.json is out of date with the API: run `make api-client` and commit web/openapi.json and "
        "web/src/lib/api/schema.d.ts"
    )
