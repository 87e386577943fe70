"""The learner's tooling: solution branches, course check/reset/dev/lab, and page diagrams."""

from __future__ import annotations

import concurrent.futures
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

ROOT = settings.PROJECT_ROOT


def course(*args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the clone's own `course` command (python -m puts the clone's package first)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "DUCKDB_DATABASE"))}
    return subprocess.run(
        [sys.executable, "-m", "dagster_and_etl.course", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A fresh clone of this repository's committed state."""
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode:
        pytest.fail("the tooling tests need the repository's git history")
    folder = tmp_path_factory.mktemp("clone") / "course"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(folder)], check=True)
    git("config", "user.email", "learner@example.com", cwd=folder)
    git("config", "user.name", "Learner", cwd=folder)
    return folder


def test_every_solution_branch_passes_its_lesson(clone, tmp_path):
    head = git("rev-parse", "HEAD", cwd=clone)
    status_before = git("status", "--porcelain", cwd=clone)

    built = course("solutions", cwd=clone)
    assert built.returncode == 0, built.stderr
    lessons = locations.completed_lessons()
    branches = git("branch", "--list", "lesson-*-solution", "--format=%(refname:short)", cwd=clone)
    assert branches.split() == sorted(f"lesson-{n}-solution" for n in lessons)
    assert git("rev-parse", "HEAD", cwd=clone) == head  # the current branch is untouched
    assert git("status", "--porcelain", cwd=clone) == status_before

    def grade(lesson: int) -> tuple[int, subprocess.CompletedProcess]:
        worktree = tmp_path / f"lesson-{lesson}"
        git("worktree", "add", "--quiet", str(worktree), f"lesson-{lesson}-solution", cwd=clone)
        return lesson, course("check", str(lesson), cwd=worktree)

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(grade, lessons))
    for lesson, result in results.items():
        assert result.returncode == 0, f"lesson {lesson} solution branch:\n{result.stdout}"
        assert f"Lesson {lesson}:" in result.stdout and "FAIL" not in result.stdout

    # Built again, each branch moves to a new commit on top of the current one.
    again = course("solutions", "2", cwd=clone)
    assert again.returncode == 0, again.stderr
    assert git("rev-parse", "lesson-2-solution^", cwd=clone) == head


def test_solutions_refuse_a_dirty_tree(clone):
    readme = clone / "README.md"
    original = readme.read_text()
    readme.write_text(original + "\nlocal edit\n")
    try:
        result = course("solutions", "2", cwd=clone)
    finally:
        readme.write_text(original)
    assert result.returncode != 0
    assert "uncommitted changes" in result.stderr


def test_check_on_the_unfilled_workspace_fails_with_hints(clone):
    result = course("check", "2", cwd=clone)
    assert result.returncode == 1
    assert "FAIL" in result.stdout
    assert 'reread lessons/lesson_2_file_import.md, "Step 1: the file to import"' in result.stdout
    assert course("check", cwd=clone).stdout.startswith("You have not started a lesson yet")


def test_reset_restores_the_starter_files(clone):
    stub = clone / "dagster_and_etl" / "defs" / "lesson_3" / "sensors.py"
    original = stub.read_text()
    stub.write_text(original.replace("raise todo(", "return None  # raise todo("))
    extra = stub.with_name("my_notes.py")
    extra.write_text("# scratch\n")
    started = course("check", cwd=clone)  # lesson 3 now counts as started
    assert "Lesson 3:" in started.stdout

    result = course("reset", "3", "--yes", cwd=clone)
    assert result.returncode == 0, result.stderr
    assert stub.read_text() == original
    assert not extra.exists()
    assert git("status", "--porcelain", cwd=clone) == ""


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def test_course_dev_serves_a_lessons_assets(tmp_path):
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster_and_etl.course", "dev", "2", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        keys = None
        while time.monotonic() < deadline and keys is None:
            try:
                answer = graphql(port, "{ assetNodes { assetKey { path } } }")
                keys = {"/".join(n["assetKey"]["path"]) for n in answer["data"]["assetNodes"]}
            except (OSError, KeyError, TypeError):
                time.sleep(1)
        assert keys == {"import_file", "duckdb_table", "import_file_s3", "duckdb_table_s3"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


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
