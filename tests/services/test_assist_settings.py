"""Assist settings: a person saving them keeps what the system recorded in the same row (trained encoders)."""

from __future__ import annotations

from tests.model_servers import text_project

from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.assist_settings import get_assist, update_assist
from labelhub.storage.models import ProjectAssist

SYSTEM = Actor.system()


def test_saving_settings_keeps_the_trained_encoder_record(hub: Hub) -> None:
    pid, _ = text_project(hub, "keep-encoders", ["a", "b"])
    record = {"path": "embedders/1/dual-abc", "version": "dual-abc"}
    with hub.db.session(write=True) as s:
        s.add(ProjectAssist(project_id=pid, settings={"embedders": {"dual": record}}))
    with hub.db.session(write=True) as s:
        shown = get_assist(s, SYSTEM, pid)
        assert "embedders" not in shown.settings  # not a setting a person edits
        saved = update_assist(s, SYSTEM, pid, {**shown.settings, "upper": 0.97}, shown.version)
    assert saved.settings["upper"] == 0.97 and saved.version == shown.version + 1
    with hub.db.session() as s:
        row = s.get(ProjectAssist, pid)
        assert row is not None and row.settings["embedders"] == {"dual": record}
