from __future__ import annotations

import pytest
from tests.cli._support import Env

from labelhub.config import Settings


@pytest.fixture
def cli_env(settings: Settings, db_url: str) -> Env:
    """The environment of a CLI run against the test's database; None removes a variable."""
    return {"LABELHUB_HOME": str(settings.home), "LABELHUB_DATABASE_URL": db_url, "LABELHUB_DEV": "1",
            "LABELHUB_SECRET_KEY": None, "COLUMNS": "200"}  # fmt: skip
