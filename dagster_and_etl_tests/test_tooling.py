"""The learner's tooling: solution branches, course check/reset/dev/lab, and page diagrams."""

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


def test_each_solution_branch_changes_only_its_lessons_folder(clone):
    """`course solutions` builds lesson-N-solution for every lesson, each differing from your
    commit only in your lesson N folder, and leaves your branch and files alone."""
    head = git("rev-parse", "HEAD", cwd=clone)
    status_before = git("status", "--porcelain", cwd=clone)

    built = course("solutions", cwd=clone)
    assert built.returncode == 0, built.stderr
    lessons = locations.completed_lessons()
    branches = git("branch", "--list", "lesson-*-solution", "--format=%(refname:short)", cwd=clone)
    assert branches.split() == sorted(f"lesson-{n}-solution" for n in lessons)
    assert git("rev-parse", "HEAD", cwd=clone) == head  # the current branch is untouched
    assert git("status", "--porcelain", cwd=clone) == status_before
    for lesson in lessons:
        changed = git("diff", "--name-only", "HEAD", f"lesson-{lesson}-solution", cwd=clone)
        folder = f"dagster_and_etl/defs/lesson_{lesson}/"
        assert changed and all(path.startswith(folder) for path in changed.split()), changed

    # Built again, each branch moves to a new commit on top of the current one.
    again = course("solutions", "2", cwd=clone)
    assert again.returncode == 0, again.stderr
    assert git("rev-parse", "lesson-2-solution^", cwd=clone) == head


def lesson_lines(output: str, lesson: int) -> list[str]:
    """The lines `course check` printed for one lesson."""
    lines, inside = [], False
    for line in output.splitlines():
        if line.startswith("Lesson "):
            inside = line.startswith(f"Lesson {lesson}:")
        if inside:
            lines.append(line)
    return lines


def test_solutions_taken_one_lesson_at_a_time_are_graded_alone(clone, tmp_path):
    """Lessons taken from their solution branches pass `course check`, and a lesson still at
    its starters fails only its own checks: no lesson's state changes another's grade."""
    assert course("solutions", cwd=clone).returncode == 0
    worktree = tmp_path / "learner"
    git("worktree", "add", "--quiet", "--detach", str(worktree), "HEAD", cwd=clone)
    for lesson in (3, 8):  # as a learner would, with plain git
        git("checkout", f"lesson-{lesson}-solution", "--", f"dagster_and_etl/defs/lesson_{lesson}",
            cwd=worktree)  # fmt: skip

    mixed = course("check", "3", "6", "8", cwd=worktree)
    assert mixed.returncode == 1, mixed.stdout
    for lesson in (3, 8):
        lines = lesson_lines(mixed.stdout, lesson)
        assert not any("FAIL" in line or "????" in line for line in lines), "\n".join(lines)
        assert "All done. The notebook notebooks/lesson_" in "\n".join(lines)
    six = lesson_lines(mixed.stdout, 6)
    assert any("FAIL" in line for line in six), "\n".join(six)
    hints = [line for line in six if "->" in line]
    assert hints and all("lessons/lesson_6_sling.md" in line for line in hints), "\n".join(six)

    rest = [str(n) for n in locations.completed_lessons() if n not in (3, 8)]
    for lesson in rest:  # lesson 6 included, now with `course solution`
        taken = course("solution", lesson, "--yes", cwd=worktree)
        assert taken.returncode == 0, taken.stderr
    graded = course("check", "6", cwd=worktree)
    assert graded.returncode == 0, graded.stdout
    assert "FAIL" not in graded.stdout
    # Every lesson taken: each of your locations now defines what the completed one does
    # (the files are the completed ones, so grading them is grading the completed code).
    compare = subprocess.run(
        [sys.executable, "-c", SAME_DEFINITIONS], cwd=worktree, capture_output=True, text=True
    )
    assert compare.returncode == 0, compare.stdout + compare.stderr
    # Only the lessons taken differ from the commit; grading wrote nothing else.
    changed = git("status", "--porcelain", cwd=worktree).split("\n")
    taken_folders = {f"dagster_and_etl/defs/lesson_{n}/" for n in locations.completed_lessons()}
    assert all(any(f in line for f in taken_folders) for line in changed if line), changed


SAME_DEFINITIONS = """
from dagster_and_etl.course import locations
from dagster_and_etl_tests.test_course import definitions_summary
for n in locations.completed_lessons():
    mine = definitions_summary(locations.load_location(n))
    completed = definitions_summary(locations.load_location(n, solution=True))
    mine["schedules"] = {s.name for s in locations.load_location(n).schedules or []}
    completed["schedules"] = {s.name for s in locations.load_location(n, True).schedules or []}
    assert mine == completed, (n, mine, completed)
print("same")
"""


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
    assert '->  read lessons/lesson_2_file_import.md, "Step 1: the file to import"' in result.stdout
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


def asset_keys_served(port: int, deadline: float) -> set[str] | None:
    query = "{ assetNodes { assetKey { path } } }"
    while time.monotonic() < deadline:
        try:
            nodes = graphql(port, query)["data"]["assetNodes"]
            return {"/".join(node["assetKey"]["path"]) for node in nodes}
        except (OSError, KeyError, TypeError):
            time.sleep(1)
    return None


def location_names(port: int) -> list[str]:
    answer = graphql(port, "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }")
    return [entry["name"] for entry in answer["data"]["workspaceOrError"]["locationEntries"]]


@pytest.mark.parametrize(
    "args, expected_locations",
    [
        (["2"], ["lesson_2"]),
        (["2", "--solution"], ["lesson_2_completed"]),
        ([], [f"lesson_{n}" for n in locations.workspace_lessons()]),
    ],
)
def test_course_dev_passes_options_and_serves_one_location_per_lesson(
    tmp_path, args, expected_locations
):
    """`course dev [N] [--solution] -p PORT` answers on that port, with one code location
    per lesson served."""
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster_and_etl.course", "dev", *args, "-p", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        keys = asset_keys_served(port, time.monotonic() + 180)
        assert keys is not None, "the UI did not answer"
        if args[:1] == ["2"]:
            assert keys == {"import_file", "duckdb_table", "import_file_s3", "duckdb_table_s3"}
        assert location_names(port) == expected_locations
        assert (tmp_path / "home" / "dagster.yaml").exists()  # the pools, in DAGSTER_HOME
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


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
