"""The ``labelhub`` command line, run as a user would: users and tokens, projects, import, export, stats, demo."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.builders import coco_dict, write_dataset
from tests.cli._support import Env, ok, run
from typer.testing import Result

from labelhub.api.app import create_app
from labelhub.domain.schema import LabelSchema
from labelhub.hub import Hub
from labelhub.jobs.executor import LocalExecutor
from labelhub.services.access import Actor
from labelhub.services.stats import project_stats
from labelhub.storage.models import Project, User


def flat(text: str) -> str:
    """Join rich's wrapped lines, so a message can be matched whatever the terminal width."""
    return " ".join(text.split())


def assert_clean_failure(result: Result, *expected: str) -> None:
    """Exit status 1 with a message on stderr naming the problem, and no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not a crash
    assert "Traceback" not in result.output
    for text in expected:
        # Rich wraps at 80 columns when not on a terminal, even inside a long path: compare without whitespace.
        assert "".join(text.split()) in "".join(result.stderr.split()), result.stderr


def test_user_add_and_token_work_on_the_api(cli_env: Env, hub: Hub) -> None:
    out = ok(cli_env, "user", "add", "alice", "--role", "admin", "--password-stdin", stdin="alice-long-password\n")
    assert "created user alice" in out.output
    with hub.db.session() as s:
        alice = s.scalars(select(User).where(User.username == "alice")).one()
    assert alice.is_admin
    token = ok(cli_env, "token", "create", "alice").stdout.strip()
    assert token and "\n" not in token
    with TestClient(create_app(hub, run_worker=False)) as client:
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "alice"
        login = client.post("/api/v1/auth/login", json={"username": "alice", "password": "alice-long-password"})
        assert login.status_code == 200, login.text
        assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_acting_as_a_deactivated_user_is_refused(cli_env: Env, hub: Hub) -> None:
    ok(cli_env, "user", "add", "dave", "--password-stdin", stdin="dave-long-password\n")
    ok(cli_env, "project", "create", "notes", "--kind", "text", "--owner", "dave")
    assert "notes" in ok(cli_env, "project", "list", "--as", "dave").stdout
    with hub.db.session(write=True) as s:
        s.scalars(select(User).where(User.username == "dave")).one().is_active = False
    assert_clean_failure(run(cli_env, "project", "list", "--as", "dave"), "user 'dave' is deactivated", "field: as")


def test_project_create_and_list(cli_env: Env, hub: Hub) -> None:
    out = ok(cli_env, "project", "create", "notes", "--kind", "text", "--labels", "a,b,c")
    assert "created project notes" in out.output
    ok(cli_env, "project", "create", "pics")
    with hub.db.session() as s:
        notes = s.scalars(select(Project).where(Project.name == "notes")).one()
    assert notes.item_kind == "text"
    assert LabelSchema.from_json(notes.label_schema).names == ["a", "b", "c"]
    listing = ok(cli_env, "project", "list").stdout
    assert "notes" in listing and "pics" in listing and "text" in listing and "image" in listing


def test_members_are_added_listed_and_removed_from_the_command_line(cli_env: Env, hub: Hub) -> None:
    ok(cli_env, "user", "add", "ann", "--password-stdin", stdin="annotate-me\n")
    ok(cli_env, "user", "add", "olga", "--password-stdin", stdin="owner-pass\n")
    out = ok(cli_env, "project", "create", "street scenes").output
    assert "no members yet" in out and "labelhub project add-member 'street scenes' USER --role owner" in flat(out)
    assert "has no members: only administrators see it" in ok(cli_env, "project", "members", "street scenes").output

    ok(cli_env, "project", "add-member", "street scenes", "olga", "--role", "owner")
    assert "ann is annotator" in ok(cli_env, "project", "add-member", "street scenes", "ann").output
    # The annotator now sees the project and may list who works on it, but not change it.
    assert "street scenes" in ok(cli_env, "project", "list", "--as", "ann").stdout
    members = ok(cli_env, "project", "members", "street scenes", "--as", "ann").stdout
    rows = [line.strip("│ ").split() for line in members.splitlines()]
    assert [r[::2] for r in rows if r and r[0] in ("ann", "olga")] == [["ann", "annotator"], ["olga", "owner"]]
    refused = run(cli_env, "project", "add-member", "street scenes", "ann", "--role", "manager", "--as", "ann")
    assert refused.exit_code == 1 and "manager" in refused.output.lower()
    last_owner = run(cli_env, "project", "remove-member", "street scenes", "olga")
    assert last_owner.exit_code == 1 and "at least one owner" in last_owner.output
    assert "removed ann" in ok(cli_env, "project", "remove-member", "street scenes", "ann").output
    assert "street scenes" not in ok(cli_env, "project", "list", "--as", "ann").stdout
    # No longer a member: the project is as unknown to ann as one that does not exist (its id is not given away).
    gone, nothing = run(cli_env, "stats", "street scenes", "--as", "ann"), run(cli_env, "stats", "nope", "--as", "ann")
    assert "project 'street scenes' not found" in flat(gone.output) and "project 'nope' not found" in flat(
        nothing.output
    )
    assert flat(gone.output).replace("street scenes", "nope") == flat(nothing.output)


def test_an_export_says_what_its_format_left_out(cli_env: Env, tmp_path: Path) -> None:
    ok(cli_env, "project", "create", "outlines")
    data = coco_dict(["a.png", "b.png"])
    # One object outlined as well as boxed: YOLO's detect labels hold its box, not its outline.
    data["annotations"][0]["segmentation"] = [[2.5, 3.0, 22.5, 3.0, 22.5, 18.25]]
    ok(cli_env, "import", "outlines", str(write_dataset(tmp_path / "ds", data)), "--format", "coco")
    out = flat(ok(cli_env, "export", "outlines", str(tmp_path / "yolo"), "--format", "yolo").stdout)
    assert "exported 2 items, 4 annotations" in out
    assert "left out, as yolo cannot hold them: 1 polygon" in out
    coco = ok(cli_env, "export", "outlines", str(tmp_path / "c.json"), "--format", "coco")
    assert "left out" not in flat(coco.stdout)
    # A second export to the same file is refused (it could be a dataset's own annotation file), unless asked.
    before = (tmp_path / "c.json").read_bytes()
    again = run(cli_env, "export", "outlines", str(tmp_path / "c.json"), "--format", "coco")
    assert_clean_failure(again, "c.json already exists; choose another name, or replace it (--overwrite)")
    assert (tmp_path / "c.json").read_bytes() == before
    ok(cli_env, "export", "outlines", str(tmp_path / "c.json"), "--format", "coco", "--overwrite")


def test_import_export_and_stats(cli_env: Env, hub: Hub, tmp_path: Path) -> None:
    ok(cli_env, "project", "create", "boxes")
    source = write_dataset(tmp_path / "ds", coco_dict(["a.png", "b.png", "c.png"]))
    out = ok(cli_env, "import", "boxes", str(source), "--format", "auto")
    assert "detected format: coco" in out.stdout
    # Not a terminal here: the progress comes as plain lines on stderr, a phase at a time.
    assert out.stderr.splitlines() == ["import ann.json: 0% reading ann.json as COCO detection JSON",
                                       "import ann.json: 80% writing 3 items and 6 annotations"]  # fmt: skip
    assert "imported 3 new items" in flat(out.stdout) and "6 annotations" in flat(out.stdout)

    dest = tmp_path / "out" / "boxes.json"
    out = ok(cli_env, "export", "boxes", str(dest), "--format", "coco")
    assert "exported 3 items, 6 annotations" in flat(out.stdout)
    exported = orjson.loads(dest.read_bytes())
    assert len(exported["images"]) == 3 and len(exported["annotations"]) == 6
    assert {c["id"]: c["name"] for c in exported["categories"]} == {1: "cat", 7: "dog"}

    stats = json.loads(ok(cli_env, "stats", "boxes", "--json").stdout)
    assert stats["items"] == {"total": 3, "by_status": {"labeled": 3}}
    assert stats["annotations"] == {
        "total": 6, "by_kind": {"box": 6}, "by_label": {"cat": 3, "dog": 3}, "by_source": {"human": 6},
        "by_state": {"accepted": 6},
    }  # fmt: skip
    with hub.db.session() as s:
        pid = s.scalars(select(Project.id).where(Project.name == "boxes")).one()
        assert project_stats(s, Actor.system(), pid) == stats


def test_errors_exit_1_with_a_message_and_no_traceback(cli_env: Env, hub: Hub, tmp_path: Path) -> None:
    assert_clean_failure(run(cli_env, "stats", "nope"), "project 'nope' not found")
    source = write_dataset(tmp_path / "ds", coco_dict(["a.png"]))
    assert_clean_failure(run(cli_env, "import", "nope", str(source)), "project 'nope' not found")

    ok(cli_env, "project", "create", "boxes")
    text = source.read_bytes()
    source.write_bytes(text[: len(text) // 2])
    result = run(cli_env, "import", "boxes", str(source), "--format", "coco")
    assert_clean_failure(result, "ann.json is not valid JSON", f"file: {source}", "line:")
    missing = tmp_path / "missing.json"
    assert_clean_failure(run(cli_env, "import", "boxes", str(missing)), f"{missing} does not exist")
    assert_clean_failure(run(cli_env, "export", "boxes", str(tmp_path / "x.json"), "--format", "nope"),
                         "unknown format 'nope'")  # fmt: skip
    with hub.db.session() as s:
        pid = s.scalars(select(Project.id).where(Project.name == "boxes")).one()
        assert project_stats(s, Actor.system(), pid)["items"]["total"] == 0


def test_import_refusal_lists_the_problems(cli_env: Env, tmp_path: Path) -> None:
    ok(cli_env, "project", "create", "boxes")
    data = coco_dict(["a.png", "b.png"])
    data["annotations"][1]["category_id"] = 99
    source = write_dataset(tmp_path / "ds", data)
    result = run(cli_env, "import", "boxes", str(source))
    assert_clean_failure(result, "import refused, nothing was imported", "unknown category_id 99",
                         "annotations[1].category_id")  # fmt: skip
    skipped = ok(cli_env, "import", "boxes", str(source), "--skip-invalid")
    assert "skipped 1 invalid record" in flat(skipped.stdout)


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("LABELHUB_WORKER_THREADS", "abc", "LABELHUB_WORKER_THREADS: Input should be a valid integer"),
        ("LABELHUB_EMBEDDERS", "{oops", "LABELHUB_EMBEDDERS is not valid JSON"),
        ("LABELHUB_EMBEDDERS", '{"open_clip": 3}', "LABELHUB_EMBEDDERS (open_clip): Input should be a valid dict"),
        ("LABELHUB_IMPORT_ROOTS", "/data", "LABELHUB_IMPORT_ROOTS is not valid JSON"),
    ],
)
def test_a_setting_that_does_not_parse_is_named(cli_env: Env, variable: str, value: str, said: str) -> None:
    result = run({**cli_env, variable: value}, "project", "list")
    assert_clean_failure(result, said)


def test_serve_on_a_port_in_use_says_so(cli_env: Env) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(cli_env, "serve", "--port", str(port))
    assert_clean_failure(result, f"cannot listen on 127.0.0.1:{port}", "choose another --port")


def test_real_process_reports_errors_without_traceback(cli_env: Env, tmp_path: Path) -> None:
    # The same checks through a real process: nothing in-process (CliRunner) hides what a user would see.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELHUB_")}
    env |= {k: v for k, v in cli_env.items() if v is not None}
    cmd = [sys.executable, "-m", "labelhub"]
    done = subprocess.run([*cmd, "stats", "nope"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert (done.returncode, "Traceback" in done.stderr) == (1, False), done.stderr
    assert "project 'nope' not found" in flat(done.stderr)
    env["LABELHUB_SESSION_HOURS"] = "0"
    done = subprocess.run([*cmd, "project", "list"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert (done.returncode, "Traceback" in done.stderr) == (1, False), done.stderr
    assert "LABELHUB_SESSION_HOURS must be at least 1" in flat(done.stderr)


def test_a_bad_video_is_explained_once_without_ffmpegs_own_lines(cli_env: Env, tmp_path: Path) -> None:
    good = tmp_path / "good.mp4"
    writer = cv2.VideoWriter(str(good), cv2.VideoWriter.fourcc(*"mp4v"), 10.0, (32, 24))
    for i in range(20):
        writer.write(np.full((24, 32, 3), i * 10, np.uint8))
    writer.release()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    ok(cli_env, "project", "create", "clips", "--kind", "video")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABELHUB_", "OPENCV_"))}
    env |= {k: v for k, v in cli_env.items() if v is not None}
    done = subprocess.run([sys.executable, "-m", "labelhub", "import", "clips", str(cut)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert (done.returncode, "Traceback" in done.stderr) == (1, False), done.stderr
    assert "without its index (no 'moov' atom): it was cut short" in flat(done.stderr)
    assert "moov atom not found" not in done.stderr  # FFmpeg's own line, which said it in its words
    assert flat(done.stderr).count(str(cut)) == 2  # in the summary and in the problem's line, not again after each


def test_demo_creates_four_projects_and_prints_the_login(cli_env: Env, hub: Hub) -> None:
    out = ok(cli_env, "demo", "--no-serve")
    assert "admin / labelhub-demo" in flat(out.stdout)
    with hub.db.session() as s:
        projects = {p.name: p for p in s.scalars(select(Project))}
        assert set(projects) == {"Demo: shapes", "Demo: support requests", "Demo: moving shapes (video)",
                                 "Demo: CT phantom (volume)"}  # fmt: skip
        counts = {name: project_stats(s, Actor.system(), p.id)["items"]["total"] for name, p in projects.items()}
    assert all(n > 0 for n in counts.values()), counts
    # The image and video projects declare attributes for their editors' Attributes sections to show.
    declared = {name: [a["name"] for a in p.label_schema.get("attributes", [])] for name, p in projects.items()}
    assert declared == {"Demo: shapes": ["occluded", "fill"], "Demo: support requests": [],
                        "Demo: moving shapes (video)": ["occluded", "fill"],
                        "Demo: CT phantom (volume)": []}  # fmt: skip
    # The image project's triangles declare their corners, for the keypoints tool.
    classes = {c["name"]: c for c in projects["Demo: shapes"].label_schema["classes"]}
    assert classes["triangle"]["keypoints"] == ["corner 1", "corner 2", "corner 3"]
    assert classes["triangle"]["skeleton"] == [[0, 1], [1, 2], [2, 0]]
    assert "keypoints" not in classes["square"] or classes["square"]["keypoints"] == []
    with TestClient(create_app(hub, run_worker=False)) as client:
        login = client.post("/api/v1/auth/login", json={"username": "admin", "password": "labelhub-demo"})
        assert login.status_code == 200, login.text
        # The text project's n-gram embeddings are computed: its search page works out of the box.
        text_id = projects["Demo: support requests"].id
        found = client.get(f"/api/v1/projects/{text_id}/search", params={"q": "refund my money", "k": 3})
        assert found.status_code == 200, found.text
        assert found.json()["space"] == "ngram" and found.json()["indexed"] == counts["Demo: support requests"]
        assert len(found.json()["hits"]) == 3
        # The map and a first classifier are queued for the server's worker; run them here.
        queued = client.get("/api/v1/jobs", params={"project_id": text_id}).json()
        assert sorted(j["kind"] for j in queued if j["status"] == "queued") == ["embedding_map", "train_model"]
        video_id = projects["Demo: moving shapes (video)"].id
        video_jobs = client.get("/api/v1/jobs", params={"project_id": video_id}).json()
        assert [(j["kind"], j["status"]) for j in video_jobs] == [("propagate", "queued")]
        executor = LocalExecutor(hub)
        while executor.run_once():
            pass
        [video] = client.get(f"/api/v1/projects/{video_id}/items").json()["items"]
        [track] = client.get(f"/api/v1/projects/{video_id}/items/{video['id']}/tracks").json()["tracks"]
        # The square is tracked through the whole video from its one keyframe, with frames suggested to check.
        assert track["label"] == "square" and track["keyframes"] == [0]
        assert track["states"] == "k" + "p" * (video["frame_count"] - 1) and track["suggested"]
        the_map = client.get(f"/api/v1/projects/{text_id}/map")
        assert the_map.status_code == 200, the_map.text
        assert len(the_map.json()["points"]) == counts["Demo: support requests"]
        versions = client.get(f"/api/v1/projects/{text_id}/models").json()
        assert [(v["status"], v["active"]) for v in versions] == [("ready", True)]
        # The training queued the pre-labelling of the unlabelled half with the new version, which ran too.
        texts_jobs = client.get("/api/v1/jobs", params={"project_id": text_id}).json()
        [pre] = [j for j in texts_jobs if j["kind"] == "prelabel"]
        assert pre["status"] == "succeeded" and pre["params"]["model_id"] == versions[0]["id"]
        assert pre["result"]["items"] == counts["Demo: support requests"] // 2
        assert sum(pre["result"][k] for k in ("proposed", "accepted", "dropped")) == pre["result"]["items"]
    again = ok(cli_env, "demo", "--no-serve")  # a second run reuses what is there
    assert "demo ready" in again.stdout
    with hub.db.session() as s:
        assert len(s.scalars(select(Project)).all()) == 4


def test_serve_with_two_processes_answers(tmp_path: Path) -> None:
    """``serve --workers 2`` migrates once, then both server processes answer on the one port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "LABELHUB_HOME": str(tmp_path / "home"), "LABELHUB_DEV": "1"}
    env.pop("LABELHUB_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "labelhub", "serve", "--port", str(port), "--workers", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        status = None
        deadline = time.monotonic() + 60
        while status != 200 and time.monotonic() < deadline and proc.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/health")
                status = conn.getresponse().status
                conn.close()
            except OSError:
                time.sleep(0.2)
        assert status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=30)[0].decode()
    assert out.count("Started server process") == 2
