"""The course's foundation: settings, data, set-up files, and the workspace's starting state."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from dagster_and_etl.course import cli, locations, settings, source_files, starters

ROOT = settings.PROJECT_ROOT


def readme_commands() -> list[str]:
    """The quick-start commands: the first line of each of the README's first two bash blocks."""
    blocks = re.findall(r"```bash\n(.*?)\n", (ROOT / "README.md").read_text(encoding="utf-8"))
    return blocks[:2]


# Settings ------------------------------------------------------------------


def test_default_paths_come_from_the_repository_root(tmp_path, monkeypatch):
    monkeypatch.delenv("DUCKDB_DATABASE", raising=False)
    monkeypatch.delenv("COURSE_SOURCE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert settings.duckdb_database() == ROOT / "data" / "staging" / "data.duckdb"
    assert settings.source_dir() == ROOT / "data" / "source"
    assert (ROOT / "pyproject.toml").is_file()


def test_relative_overrides_resolve_from_the_root_and_absolute_ones_stay(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUCKDB_DATABASE", "data/staging/other.duckdb")
    assert settings.duckdb_database() == ROOT / "data" / "staging" / "other.duckdb"
    monkeypatch.setenv("DUCKDB_DATABASE", str(tmp_path / "mine.duckdb"))
    assert settings.duckdb_database() == tmp_path / "mine.duckdb"


def test_every_lesson_uses_the_same_duckdb_file(monkeypatch, tmp_path):
    monkeypatch.setenv("DUCKDB_DATABASE", str(tmp_path / "shared.duckdb"))
    lessons = locations.completed_lessons()
    assert lessons, "no lesson has completed code"
    for lesson in lessons:
        defs = locations.load_lesson(lesson, "solution")
        if "database" in (defs.resources or {}):
            assert Path(defs.resources["database"].database) == tmp_path / "shared.duckdb"


def test_env_example_lists_every_variable_the_course_reads():
    read = set()
    patterns = [
        r"_path\(\s*\"([A-Z_]+)\"",
        r"settings\.get\(\s*\"([A-Z_]+)\"",
        r"(?<![\w.])get\(\s*\"([A-Z_]+)\"",
        r"os\.environ(?:\.get)?[\[(]\s*\"([A-Z_]+)\"",
        r"EnvVar\(\s*\"([A-Z_]+)\"",
        r"\{\{\s*env\.([A-Z_]+)\s*\}\}",
    ]
    for path in (ROOT / "dagster_and_etl").rglob("*"):
        if path.suffix in {".py", ".yaml", ".yml"}:
            text = path.read_text(encoding="utf-8")
            for pattern in patterns:
                read.update(re.findall(pattern, text))
    # A variable may be documented commented out, when it has no default (DAGSTER_HOME).
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^(?:# )?([A-Z_]+)=", example, re.MULTILINE))
    assert read, "found no environment variables in the course code"
    assert read <= listed, f".env.example is missing {sorted(read - listed)}"


# Data ----------------------------------------------------------------------


@pytest.mark.parametrize("date", source_files.COURSE_DATES)
def test_source_files_are_what_the_generator_writes(date, tmp_path):
    written = source_files.generate_file(date, tmp_path)
    assert written.read_bytes() == (settings.DEFAULT_SOURCE_DIR / f"{date}.csv").read_bytes()


@pytest.mark.parametrize("date", source_files.COURSE_DATES)
def test_every_row_carries_its_files_date(date):
    with (settings.DEFAULT_SOURCE_DIR / f"{date}.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(source_files.SOURCE_COLUMNS)
    assert len(rows) == source_files.default_row_count(date)
    assert {row["date"] for row in rows} == {date}
    for row in rows:
        assert float(row["share_price"]) > 0
        assert float(row["spread"]) <= min(float(row["spend"]), float(row["share_price"]))
        assert float(row["shift"]) >= max(float(row["spend"]), float(row["share_price"]))


def test_sales_files_are_what_the_generator_writes(tmp_path):
    result = CliRunner().invoke(cli.main, ["data", "sales", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    committed = settings.DATA_DIR / "sales"
    for name in ["products.csv", "sales_reps.csv", "sales_data.csv", "sample_request/request.json"]:
        assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name


def test_the_generator_writes_large_files(tmp_path):
    result = CliRunner().invoke(
        cli.main,
        ["data", "generate", "--date", "2018-02-01", "--rows", "20000", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    with (tmp_path / "2018-02-01.csv").open() as handle:
        assert sum(1 for _ in handle) == 20001


def test_the_generator_refuses_a_bad_date(tmp_path):
    result = CliRunner().invoke(
        cli.main, ["data", "generate", "--date", "2018-02-30", "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "is not a YYYY-MM-DD date" in result.output
    assert not list(tmp_path.iterdir())


# Set-up files --------------------------------------------------------------


def test_course_info_prints_the_paths(monkeypatch, tmp_path):
    monkeypatch.setenv("DUCKDB_DATABASE", str(tmp_path / "x.duckdb"))
    result = CliRunner().invoke(cli.main, ["info"])
    assert result.exit_code == 0
    assert str(tmp_path / "x.duckdb") in result.output
    assert str(settings.DEFAULT_SOURCE_DIR) in result.output


@pytest.mark.section("course bench")
def test_course_bench_times_the_import_against_a_raw_load(monkeypatch, tmp_path):
    """`course bench` loads its file through lesson 2's completed import and prints
    each figure with the raw DuckDB load it is measured against."""
    # The benchmark points the course at its own scratch folders; restored afterwards.
    monkeypatch.setenv("COURSE_SOURCE_DIR", str(tmp_path / "source"))
    monkeypatch.setenv("COURSE_STAGING_DIR", str(tmp_path / "staging"))
    result = CliRunner().invoke(cli.main, ["bench", "--rows", "2000", "--repeat", "1"])
    assert result.exit_code == 0, result.output
    ratios = re.findall(
        r"raw DuckDB load (-?[\d.]+) .* ratio (-?[\d.]+) \(target <= 1.2", result.output
    )
    assert len(ratios) == 3, result.output  # wall median, wall minimum, CPU
    context = re.findall(
        r"default load (-?[\d.]+), import/default (-?[\d.]+);"
        r" hand-off (-?[\d.]+), floor (-?[\d.]+)",
        result.output,
    )
    assert len(context) == 3, result.output


def test_readme_quick_start_is_the_two_course_py_commands():
    assert readme_commands() == ["python3 course.py dev", "python3 course.py test"]


def test_devcontainer_is_valid_and_matches_the_readme():
    config = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert "python:1-3.12" in config["image"]
    assert any("docker-in-docker" in feature for feature in config["features"])
    labels = {port: attrs["label"] for port, attrs in config["portsAttributes"].items()}
    assert labels == {"3000": "Dagster UI", "8888": "JupyterLab"}
    assert set(config["forwardPorts"]) == {3000, 8888}
    # The same set-up as the README's commands, and its .venv/ is the terminal's.
    assert config["postCreateCommand"] == "python3 course.py setup"
    assert all(command.startswith("python3 course.py ") for command in readme_commands())
    assert config["remoteEnv"]["PATH"].startswith("${containerWorkspaceFolder}/.venv/bin:")


def test_requirements_match_the_lock():
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {(package["name"], package.get("version")) for package in lock["package"]}
    pinned = re.findall(
        r"^([A-Za-z0-9_.-]+)==([^\s;]+)", (ROOT / "requirements.txt").read_text(), re.M
    )
    assert pinned
    missing = [
        f"{name}=={version}" for name, version in pinned if (name.lower(), version) not in locked
    ]
    assert not missing, f"requirements.txt disagrees with uv.lock: {missing}; re-export it"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.10,<3.14"


def test_the_longest_first_order_names_files_that_exist():
    """conftest.LONGEST_FIRST orders the suite's files for xdist: a renamed file would
    silently drop to the end of the queue, and the suite would get slower."""
    from dagster_and_etl_tests.conftest import LONGEST_FIRST

    files = {
        p.name
        for folder in ("dagster_and_etl_tests", "notebooks")
        for p in (ROOT / folder).iterdir()
    }
    assert sorted(set(LONGEST_FIRST) - files) == []
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--no-loadscope-reorder" in addopts["addopts"].split(), (
        "without it xdist reorders the files by their number of tests"
    )


def test_notebooks_are_committed_without_outputs():
    result = subprocess.run(
        [sys.executable, ".ci/notebooks_without_outputs.py", "notebooks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


# The workspace -------------------------------------------------------------


def definitions_summary(defs) -> dict[str, set[str]]:
    graph = defs.resolve_asset_graph()
    return {
        "assets": {key.to_user_string() for key in graph.materializable_asset_keys},
        "checks": {key.to_user_string() for key in graph.asset_check_keys},
        "jobs": {job.name for job in defs.jobs or []},
        "sensors": {sensor.name for sensor in defs.sensors or []},
        "resources": set(defs.resources or {}),
    }


@pytest.mark.parametrize("lesson", locations.workspace_lessons())
def test_each_starter_lesson_loads_alone_with_the_completed_lessons_names(lesson):
    """Your lesson N is a code location of its own; its starters define what the completed
    code defines (schedules are yours to write), so grading can find every name."""
    starter = definitions_summary(locations.load_location(lesson))
    completed = definitions_summary(locations.load_location(lesson, solution=True))
    assert starter == completed


def test_every_lesson_has_a_workspace_folder_and_completed_code():
    assert locations.workspace_lessons() == locations.completed_lessons()


def test_the_root_location_is_the_lesson_course_lesson_names(monkeypatch):
    from dagster_and_etl import definitions

    monkeypatch.setenv("COURSE_LESSON", "3")
    keys = definitions_summary(definitions.defs())["assets"]
    assert keys == definitions_summary(locations.load_location(3))["assets"]


def test_course_dev_workspace_has_one_location_per_lesson():
    import yaml

    loaded = yaml.safe_load(locations.workspace_yaml(locations.workspace_lessons()))
    names = [entry["python_module"]["location_name"] for entry in loaded["load_from"]]
    assert names == [f"lesson_{n}" for n in locations.workspace_lessons()]
    modules = [entry["python_module"]["module_name"] for entry in loaded["load_from"]]
    assert all(m.startswith("dagster_and_etl.defs.lesson_") for m in modules)


def test_grading_the_unfilled_workspace_fails_and_points_at_the_page():
    if starters.is_started(2):
        pytest.skip(
            "you have started lesson 2 in your workspace; this checks the untouched starters"
        )
    env = {**os.environ, "COURSE_TARGET": "workspace"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "dagster_and_etl_tests/test_lesson_2.py",
            "--target",
            "workspace",
            # One check of an unwritten stub shows the message; `course check` runs them all.
            "-k",
            "test_import_file_returns_the_full_path",
            "-q",
            "-n",
            "0",
            "-p",
            "no:randomly",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode != 0
    assert "NOT WRITTEN YET: Lesson 2" in result.stdout
    assert "lessons/lesson_2_file_import.md" in result.stdout
    assert "course check 2" in result.stdout


# S3 settings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        # No endpoint: AWS, virtual-hosted URLs, keys from the environment.
        (
            {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x"},
            {"provider": "config", "endpoint": None, "url_style": "vhost"},
        ),
        # A local endpoint: path-style URLs over http, the throwaway keys.
        (
            {"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"},
            {"provider": "config", "endpoint": "127.0.0.1:9000", "url_style": "path"},
        ),
    ],
)
def test_duckdb_s3_secret_follows_the_settings(monkeypatch, environment, expected):
    """With no endpoint DuckDB goes to AWS; with a local one, path-style over http."""
    import duckdb

    from dagster_and_etl.course import object_store

    for name in (
        "AWS_ENDPOINT_URL_S3",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "COURSE_S3_URL_STYLE",
    ):
        monkeypatch.setenv(name, environment.get(name, ""))
    with duckdb.connect() as conn:
        object_store.duckdb_use_s3(conn)
        [(provider, secret)] = conn.execute(
            "select provider, secret_string from duckdb_secrets() where name = 'course_s3'"
        ).fetchall()
    fields = dict(part.split("=", 1) for part in secret.split(";"))
    assert provider == expected["provider"]
    assert fields.get("endpoint") == expected["endpoint"]  # None: DuckDB's default, AWS
    assert fields["url_style"] == expected["url_style"]
    if expected["endpoint"]:
        assert fields["use_ssl"] == "false"


def test_plain_dg_dev_gets_the_course_pools_from_the_root_dagster_yaml(tmp_path):
    """Without DAGSTER_HOME, `dg dev` at the root runs a temporary instance configured by the
    root dagster.yaml (as Dagster does for the current folder): one DuckDB writer at a time."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    ref = InstanceRef.from_dir(str(tmp_path), config_dir=str(ROOT))
    with dg.DagsterInstance.from_ref(ref) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_lesson_8_starts_from_the_same_one_file_project_as_the_completed_code():
    """The lesson 8 starter's before.py is the completed code's before.py, which a lesson 8
    test proves builds the same tables as the organized project."""
    starter = starters.starter_files(8)["dagster_and_etl/defs/lesson_8/before.py"]
    assert starter == (ROOT / "dagster_and_etl" / "lesson_8" / "before.py").read_bytes()


# dbt: parse when the project changed ---------------------------------------------


def test_the_dbt_project_is_parsed_again_only_after_a_change(tmp_path, monkeypatch):
    """Loading lesson 9 parses its dbt project when a file of it is newer than the
    manifest, and otherwise reads the manifest it has (a parse costs seconds)."""
    import json
    import shutil

    from dagster_dbt import DbtProject

    from dagster_and_etl.course.dbt_offline import parse_if_changed

    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    folder = tmp_path / "dbt_project"
    shutil.copytree(
        ROOT / "dagster_and_etl" / "lesson_9" / "defs" / "dbt_project",
        folder,
        ignore=shutil.ignore_patterns("target", "logs"),
    )
    project = DbtProject(project_dir=folder)
    assert parse_if_changed(project), "no manifest yet: it must parse"
    nodes = json.loads(project.manifest_path.read_text())["nodes"]
    assert "model.shop.fct_orders" in nodes, "the parse wrote no manifest of the project"
    assert not parse_if_changed(project), "nothing changed: it must not parse again"

    # From here the parse itself is dbt's (shown above); what is ours is deciding to
    # run it, so the preparer only records the call (one dbt parse costs ~5 CPU-s).
    parsed = []
    monkeypatch.setattr(project.preparer, "prepare", parsed.append)
    compiled = project.manifest_path.parent / "run" / "compiled.sql"
    compiled.parent.mkdir()
    compiled.write_text("select 1")
    later = project.manifest_path.stat().st_mtime + 5
    os.utime(compiled, (later, later))
    assert not parse_if_changed(project), "a file dbt wrote into target/ must not count"

    model = folder / "models" / "marts" / "orders_per_customer.sql"
    model.write_text(
        "select customer_id, count(*) as orders from {{ ref('stg_orders') }} group by 1"
    )
    os.utime(model, (later, later))
    assert parse_if_changed(project) and parsed == [project], "a new model must make it parse"


def test_the_grading_report_counts_helper_checks_apart():
    """Checks of the completed code's own helpers, skipped on a learner's code, are one
    line of the summary, not a list of skips that reads like missed checks."""
    from dagster_and_etl.course import grading

    helper = f"Skipped: {grading.HELPER_SKIP}, not graded"
    checks = [
        grading.Check("test_loads_rows", "passed"),
        grading.Check("test_helper_a", "skipped", helper),
        grading.Check("test_helper_b", "skipped", helper),
        grading.Check("test_needs_docker", "skipped", "Skipped: no Docker here"),
    ]
    text = grading.report(2, checks)
    first = text.splitlines()[0]
    assert first == (
        "Lesson 2: 1 of 2 checks pass (2 more checks test functions of the completed code"
        " that your code need not have, so they were not run)"
    )
    assert "helper a" not in text and "skip needs docker" in text
    assert "All done." in text


LOAD_WITHOUT_LIBRARIES = """
import sys, importlib
import dagster as dg
from dagster_and_etl.course import locations, settings
lesson_3 = locations.load_location(3, solution=True)
lesson_7 = locations.load_location(7, solution=True)
libraries = ("dbt", "dagster_dbt", "dlt", "dagster_dlt")
print("imported:", sorted(m for m in libraries if m in sys.modules))
assert lesson_7.component_tree is not None  # its defs.yaml, drawn by the UI
assert lesson_3.component_tree is None  # plain Python: no tree to draw
module = importlib.import_module("dagster_and_etl.lesson_7.defs")
whole = dg.ComponentTree.from_module(defs_module=module, project_root=settings.PROJECT_ROOT)
def keys(defs):
    return sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
expected = keys(whole.build_defs())
assert keys(lesson_7) == expected, (keys(lesson_7), expected)
print("same assets as dg's own build:", len(keys(lesson_7)))
"""


def test_loading_a_lesson_imports_only_the_libraries_it_uses():
    """Loading lesson 3 (plain Python) and lesson 7 (a Sling component in YAML) imports neither
    dbt nor dlt, as every process that loads a lesson would (about 2 s each), and defines the
    same assets as `dg`'s own loader; only lesson 7 carries a component tree for the UI."""
    result = subprocess.run(
        [sys.executable, "-c", LOAD_WITHOUT_LIBRARIES],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "imported: []" in result.stdout, result.stdout
    assert "same assets as dg's own build: 8" in result.stdout, result.stdout
