"""The course's Sling runs: a time limit, nothing left behind, nothing shared, readable errors.

Every test runs the real Sling binary (and the DuckDB CLI it drives) against
the session's real PostgreSQL server, through lessons 6 and 7's completed code.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
import time
from pathlib import Path

import dagster as dg
import psutil
import pytest
from dagster_sling import sling_assets

from dagster_and_etl.course import locations, runs, warehouse
from dagster_and_etl.course.postgres import free_port
from dagster_and_etl.course.sling_runs import (
    CourseSlingResource,
    SlingRun,
    clean_line,
    explain,
)

TABLES = ["customers", "products", "orders"]
LESSON_6_REPLICATION = locations.PACKAGE_DIR / "lesson_6" / "defs" / "sling_replication.yaml"


KEYS = [f"target/data/{table}" for table in TABLES]


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The description of the run's step failure, as the UI shows it."""
    [failure] = [event for event in result.all_events if event.is_step_failure]
    data = failure.step_failure_data
    return data.user_failure_data.description if data.user_failure_data else data.error.message


def processes_using(path: Path) -> list[psutil.Process]:
    """Processes whose command line names `path` (the DuckDB CLI names its database file)."""
    found = []
    for process in psutil.process_iter():
        try:
            if any(str(path) in part for part in process.cmdline()):
                found.append(process)
        except psutil.Error:
            continue
    return found


def sling_children() -> list[str]:
    return [
        process.name()
        for process in psutil.Process().children(recursive=True)
        if process.name().startswith(("sling", "duckdb"))
    ]


@pytest.fixture
def locked_customers(postgres):
    """Hold an exclusive lock on data.customers: Sling's read of it waits until released."""
    conn = postgres.connect()
    conn.autocommit = False
    conn.execute("lock table data.customers in access exclusive mode")

    def release() -> None:
        if not conn.closed:
            conn.rollback()
            conn.close()

    yield release
    release()


def course_sling(**fields) -> CourseSlingResource:
    """Lesson 6's Sling resource, with `fields` changed."""
    resource = locations.load_lesson(6, "solution").resources["sling"]
    return CourseSlingResource(connections=resource.connections, **fields)


# -- the time limit ----------------------------------------------------------------


def test_a_stuck_run_stops_at_its_time_limit_and_leaves_no_process(
    postgres, duckdb_path, locked_customers
):
    defs = locations.load_lesson(6, "solution")
    sling = course_sling(timeout_seconds=2, retry_after_timeout=False)
    started = time.monotonic()
    result = runs.materialize(
        defs, ["target/data/customers"], resources={"sling": sling}, raise_on_error=False
    )
    elapsed = time.monotonic() - started

    assert not result.success
    message = failure_message(result)
    assert message.startswith("Sling did not finish replicating MY_POSTGRES to MY_DUCKDB")
    assert "data.customers" in message and "within 2 seconds" in message
    assert "timeout_seconds" in message  # what to try
    assert elapsed < 2 + 15, f"the run took {elapsed:.0f}s to stop"
    assert sling_children() == []
    assert processes_using(duckdb_path) == []  # no orphaned DuckDB CLI either


def test_a_run_stuck_once_is_tried_again_and_succeeds(postgres, duckdb_path, locked_customers):
    defs = locations.load_lesson(6, "solution")
    threading.Timer(6, locked_customers).start()  # the lock goes after the first attempt
    instance = dg.DagsterInstance.ephemeral()
    result = runs.materialize(
        defs,
        ["target/data/customers"],
        resources={"sling": course_sling(timeout_seconds=4)},
        instance=instance,
    )
    assert result.success
    warnings = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if "Trying once more" in entry.user_message
    ]
    assert len(warnings) == 1, "the first, stuck attempt should be reported once"
    rows = warehouse.fetch("select count(*) from data_customers", database=duckdb_path)
    with postgres.connect() as conn:
        assert rows == conn.execute("select count(*) from data.customers").fetchall()


# -- two runs at once --------------------------------------------------------------


def test_two_lessons_replicating_at_once_share_nothing(postgres, tmp_path, monkeypatch):
    """Lessons 6 and 7 replicating at the same moment, each into its own DuckDB file, with one
    SLING_HOME_DIR set for both: each Sling run keeps its state, and its connections, to itself."""
    shared_home = tmp_path / "shared_sling_home"
    shared_home.mkdir()
    monkeypatch.setenv("SLING_HOME_DIR", str(shared_home))
    databases = {lesson: tmp_path / f"lesson_{lesson}.duckdb" for lesson in (6, 7)}
    lessons = {}
    for lesson, path in databases.items():  # each reads DUCKDB_DATABASE as it loads
        monkeypatch.setenv("DUCKDB_DATABASE", str(path))
        lessons[lesson] = locations.load_lesson(lesson, "solution")
    start = threading.Barrier(2)

    def replicate(lesson: int) -> bool:
        start.wait()
        return runs.materialize(lessons[lesson], KEYS, raise_on_error=False).success

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        succeeded = dict(zip((6, 7), pool.map(replicate, (6, 7)), strict=True))
    assert succeeded == {6: True, 7: True}
    assert list(shared_home.iterdir()) == []  # Sling never touched the shared home
    tables = {
        lesson: {
            table: warehouse.fetch(f"select * from data_{table} order by all", database=path)
            for table in TABLES
        }
        for lesson, path in databases.items()
    }
    assert tables[6] == tables[7]
    assert len(tables[6]["orders"]) == 60


# -- errors a learner can act on ---------------------------------------------------


@pytest.mark.parametrize("lesson", [6, 7])
def test_a_wrong_password_says_to_check_user_and_password(
    postgres, duckdb_path, monkeypatch, lesson
):
    monkeypatch.setenv("POSTGRES_PASSWORD", "not-the-password")
    defs = locations.load_lesson(lesson, "solution")
    result = runs.materialize(defs, KEYS, raise_on_error=False)
    assert not result.success
    message = failure_message(result)
    assert message.startswith(f'Postgres refused the login of user "{postgres.settings.user}"')
    assert "POSTGRES_USER" in message and "POSTGRES_PASSWORD" in message
    assert "sslmode" not in message
    assert "\x1b" not in message


@pytest.mark.parametrize("lesson", [6, 7])
def test_postgres_down_is_reported_before_sling_runs(postgres, duckdb_path, monkeypatch, lesson):
    monkeypatch.setenv("POSTGRES_PORT", str(free_port()))  # nothing listens there
    defs = locations.load_lesson(lesson, "solution")
    started = time.monotonic()
    result = runs.materialize(defs, KEYS, raise_on_error=False)
    assert not result.success
    message = failure_message(result)
    assert message.startswith("Postgres is not reachable at localhost:")
    assert "course postgres start" in message
    assert time.monotonic() - started < 30
    assert not duckdb_path.exists()


def test_a_connection_the_replication_names_but_nobody_defined_is_named(postgres, duckdb_path):
    """A replication whose target names no connection (lesson 7's starter, connections: {})
    fails in words, naming it, before Sling runs."""
    defs = locations.load_lesson(6, "solution")
    postgres_only = [c for c in defs.resources["sling"].connections if c.name == "MY_POSTGRES"]
    result = runs.materialize(
        defs,
        KEYS,
        resources={"sling": CourseSlingResource(connections=postgres_only)},
        raise_on_error=False,
    )
    assert not result.success
    message = failure_message(result)
    assert message.startswith("The replication's target MY_DUCKDB is not a connection"), message
    assert "attributes: connections:" in message
    assert not duckdb_path.exists()


def test_a_refused_connection_from_sling_says_how_to_start_postgres(postgres, duckdb_path):
    """Without the reachability check first, Sling's own "connection refused" is explained."""
    port = free_port()

    @sling_assets(replication_config=LESSON_6_REPLICATION)
    def replicated(context, sling: CourseSlingResource):
        yield from sling.replicate(context=context)

    resource = course_sling()
    postgres_connection = next(c for c in resource.connections if c.name == "MY_POSTGRES")
    connections = [
        postgres_connection.model_copy(update={"port": str(port)})
        if c is postgres_connection
        else c
        for c in resource.connections
    ]
    result = dg.materialize(
        [replicated],
        resources={"sling": CourseSlingResource(connections=connections)},
        raise_on_error=False,
    )
    assert not result.success
    message = failure_message(result)
    assert message.startswith(f"Postgres refused the connection at 127.0.0.1:{port}")
    assert "course postgres start" in message and f"here {port}" in message
    assert "\x1b" not in message and "sslmode" not in message


def test_a_locked_duckdb_file_names_the_process_holding_it(postgres, duckdb_path):
    import duckdb

    with duckdb.connect(str(duckdb_path)) as holder:
        holder.execute("create table placeholder (i int)")
        defs = locations.load_lesson(6, "solution")
        result = runs.materialize(defs, ["target/data/customers"], raise_on_error=False)
    assert not result.success
    message = failure_message(result)
    assert message.startswith("Another process")
    assert f"PID {os.getpid()}" in message and str(duckdb_path) in message


def test_sling_output_is_cleaned_of_colour_and_prefixes():
    raw = "\x1b[90m9:15PM\x1b[0m \x1b[32mINF\x1b[0m \x1b[31mexecution failed\x1b[0m"
    assert clean_line(raw) == "execution failed"
    output = ["fatal:", "~ could not connect to database(try adding `sslmode=require`)", "boom"]
    run = SlingRun("replicating A to B (s)", output, 1, False, 60)
    assert explain(run).startswith("boom ")
