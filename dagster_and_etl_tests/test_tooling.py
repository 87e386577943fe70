"""The learner's tooling: course check/reset/lab/s3 in a clone, .env, and page diagrams."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dagster_and_etl.course import diagrams, locations, settings
from dagster_and_etl.course.postgres import free_port
from dagster_and_etl_tests.clones import ROOT, course, git, make_clone


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A fresh clone of this repository's committed state, for one test file."""
    return make_clone(tmp_path_factory)


def test_check_on_the_unfilled_workspace_fails_with_hints(clone):
    result = course("check", "2", cwd=clone)
    assert result.returncode == 1
    assert "FAIL" in result.stdout
    assert '->  read lessons/lesson_2_file_import.md, "Step 1: the file to import"' in result.stdout
    assert course("check", cwd=clone).stdout.startswith("You have not started a lesson yet")


def test_reset_restores_the_starter_files(clone):
    stub = clone / "dagster_and_etl" / "defs" / "lesson_3" / "sensors.py"
    original = stub.read_text()
    stub.write_text(original.replace("raise todo(", "return None  # raise todo("))
    extra = stub.with_name("my_notes.py")
    extra.write_text("# scratch\n")
    # Lesson 3 now counts as started: `course check` with no lesson would grade it.
    started = subprocess.run(
        [sys.executable, "-c", "from dagster_and_etl.course import starters; "
         "print(starters.is_started(3))"],
        cwd=clone, capture_output=True, text=True,
    )  # fmt: skip
    assert started.stdout.strip() == "True", started.stderr

    result = course("reset", "3", "--yes", cwd=clone)
    assert result.returncode == 0, result.stderr
    assert stub.read_text() == original
    assert not extra.exists()
    assert git("status", "--porcelain", cwd=clone) == ""


def test_a_copied_env_example_works_with_dg_and_course(clone):
    """After `cp .env.example .env`, `dg check defs` and `course info` work; a POSTGRES_PORT
    in .env is what the course reads."""
    env_file = clone / ".env"
    env_file.write_text((clone / ".env.example").read_text() + "POSTGRES_PORT=55436\n")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "POSTGRES_"))}
        env.pop("DAGSTER_HOME", None)
        dg = Path(sys.executable).with_name("dg")
        checked = subprocess.run(
            [str(dg), "check", "defs"], cwd=clone, env=env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
        info = course("info", cwd=clone)
        assert info.returncode == 0, info.stderr
        assert "your lesson 2" in info.stdout
        read = subprocess.run(
            [sys.executable, "-c", "from dagster_and_etl.course import settings; "
             "print(settings.get('POSTGRES_PORT'))"],
            cwd=clone, env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert read.stdout.strip() == "55436", read.stderr
    finally:
        env_file.unlink()


def test_course_lab_uses_this_environments_kernel(tmp_path):
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster_and_etl.course", "lab", "--no-browser",
         f"--port={port}", "--IdentityProvider.token=course-test", "--ServerApp.ip=127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/api/kernelspecs?token=course-test"
        deadline, specs = time.monotonic() + 60, None
        while time.monotonic() < deadline and specs is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    specs = json.load(response)
            except OSError:
                time.sleep(1)
        assert specs is not None, "JupyterLab did not answer"
        python = specs["kernelspecs"]["python3"]["spec"]["argv"][0]
        assert Path(python).resolve() == Path(sys.executable).resolve() or python == "python"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


@pytest.mark.parametrize("lesson", locations.completed_lessons())
def test_each_pages_asset_graph_matches_the_code(lesson):
    assert diagrams.current_block(lesson) == diagrams.block(lesson), (
        f"lesson {lesson}'s page has an outdated asset graph: run `course diagram {lesson} --write`"
    )


def test_course_s3_start_status_stop(tmp_path, monkeypatch):
    """`course s3 start` runs a local S3 server in the background with the course's files in
    its bucket; `status` reports it and `stop` ends it."""
    from click.testing import CliRunner

    from dagster_and_etl.course import cli
    from dagster_and_etl.course.postgres import free_port
    from dagster_and_etl.course.s3_server import LocalS3

    monkeypatch.setenv("COURSE_STAGING_DIR", str(tmp_path))
    port = free_port()
    runner = CliRunner()
    started = runner.invoke(cli.main, ["s3", "start", "--port", str(port)])
    try:
        assert started.exit_code == 0, started.output
        assert f"AWS_ENDPOINT_URL_S3=http://127.0.0.1:{port}" in started.output
        listing = (
            LocalS3(port=port)
            .client()
            .list_objects_v2(
                Bucket=settings.get("COURSE_S3_BUCKET"), Prefix=settings.get("COURSE_S3_PREFIX")
            )
        )
        names = sorted(item["Key"].rsplit("/", 1)[-1] for item in listing["Contents"])
        assert names == sorted(path.name for path in settings.source_dir().glob("*.csv"))
        assert "runs at" in runner.invoke(cli.main, ["s3", "status"]).output
    finally:
        stopped = runner.invoke(cli.main, ["s3", "stop"])
    assert "Stopped" in stopped.output
    assert "not running" in runner.invoke(cli.main, ["s3", "status"]).output
