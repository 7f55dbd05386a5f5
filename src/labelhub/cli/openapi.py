"""``labelhub openapi``: print the REST API's OpenAPI schema, the source of the web UI's generated client."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from labelhub.cli._common import cannot_write, prepare_output
from labelhub.config import Settings
from labelhub.hub import Hub


def openapi_schema() -> dict[str, object]:
    """Return the OpenAPI schema of the app, built around a throwaway hub (no database is opened or migrated)."""
    from labelhub.api.app import create_app  # the web stack: only for this command

    with tempfile.TemporaryDirectory(prefix="labelhub-openapi-") as home:
        # Explicit settings: the schema must not depend on the caller's LABELHUB_* environment.
        hub = Hub.open(Settings(home=Path(home), dev=True, database_url="sqlite://"), migrate=False)
        try:
            schema: dict[str, object] = create_app(hub, run_worker=False).openapi()
        finally:
            hub.close()
    return schema


def openapi(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout")] = None,
) -> None:
    """Print the OpenAPI schema as JSON (`make api-client` turns it into the web UI's TypeScript client)."""
    if output is not None:
        prepare_output(output, "output")
    text = json.dumps(openapi_schema(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            cannot_write(output, exc, "output")
