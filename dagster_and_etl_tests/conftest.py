"""Shared fixtures: which code is graded, and a private DuckDB file per test.

Grading target (`--target`, or the COURSE_TARGET environment variable):
- `solution` (default): lesson N's completed code, `dagster_and_etl/lesson_N/`.
- `workspace`: your own code in `dagster_and_etl/defs/`.
The option is copied into COURSE_TARGET so notebooks run under nbmake follow it.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import dagster as dg
import pydantic
import pytest

from dagster_and_etl.course import locations, runs, settings
from dagster_and_etl.course.grading import (
    HELPER_SKIP,
    NOT_WRITTEN,
    SERVICE_PROBLEM,
    CourseServiceError,
)
from dagster_and_etl.course.source_files import COURSE_DATES
from dagster_and_etl.course.warehouse import CourseDuckDBResource
from dagster_and_etl.course.workspace import NotWrittenYet
from dagster_and_etl_tests import leftover_processes


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--target",
        choices=locations.TARGETS,
        default=os.environ.get("COURSE_TARGET", "solution"),
        help="Grade the completed lessons (solution) or your workspace (workspace).",
    )
    parser.addoption(
        "--only-section",
        default=None,
        help="Run only the checks of this lesson page section (the catalogue of mistakes uses it).",
    )


def pytest_configure(config: pytest.Config) -> None:
    os.environ["COURSE_TARGET"] = config.getoption("--target")
    # No process the tests start may outlive the session (see leftover_processes.py).
    if not config.pluginmanager.has_plugin("leftover_processes"):
        config.pluginmanager.register(leftover_processes, "leftover_processes")
    config.addinivalue_line("markers", "solution_only: tests a helper of the completed code")
    config.addinivalue_line(
        "markers", "section(name): the lesson page section that teaches what the test checks"
    )
    config.addinivalue_line(
        "markers", "mutation: grades the catalogue of mistakes; runs only with `-m mutation`"
    )
    # At the end of every session pytest collects garbage five times over, to find
    # exceptions raised where Python could not report them (in __del__, say). With
    # Dagster loaded, one pass costs about 0.16 s: once is enough here. pytest reads
    # the count from this stash key (kept for its own tests), where it exists.
    from _pytest import unraisableexception

    passes = getattr(unraisableexception, "gc_collect_iterations_key", None)
    if passes is not None:
        config.stash[passes] = 1


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers per core, at least four and at most eight.

    Much of the suite waits rather than computes: on servers starting, a daemon's
    sensor ticks, dbt and Sling subprocesses. One worker per core leaves the cores
    idle through those waits; on 2 cores, four workers ran the suite in 390 s
    where two took 566 s.
    """
    return min(8, max(4, 2 * (os.cpu_count() or 1)))


@pytest.fixture(autouse=True)
def _grading_notes(request: pytest.FixtureRequest, record_property) -> None:
    """Put the test's expectation (its docstring) and page section in the JUnit report,
    where `course check` reads them."""
    marker = request.node.get_closest_marker("section")
    if marker is not None:
        record_property("section", marker.args[0])
    doc = (getattr(request.node, "function", None) or object).__doc__ or ""
    if doc.strip():
        record_property("expected", " ".join(doc.strip().split("\n\n")[0].split()))


# The files that take longest, longest first (wall seconds on a 2-core machine,
# whole suite). xdist hands out whole files in collection order (`--dist loadfile`
# with `--no-loadscope-reorder` in pyproject.toml: by default xdist would reorder
# them by their number of tests), so these start at once instead of last, and the
# short files not listed here fill the gaps at the end.
LONGEST_FIRST = (
    "test_lesson_10.py",  # 105-110: a daemon's sensor ticks, mostly waiting
    "test_solution_branches.py",  # 63-73
    "test_lesson_9.py",  # 58-87: a dbt build costs ~6 CPU-s
    "lesson_9_dbt.ipynb",  # 51-62
    "test_lesson_6.py",  # 37-45
    "test_course.py",  # 25-35
    "test_tooling.py",  # 25-35
    "test_lesson_8.py",  # 24-34
    "test_lesson_7.py",  # 27-32
    "test_lesson_4.py",  # 21-27
    "test_lesson_3.py",  # 17-27
    "test_lesson_5.py",  # 18-25
    "test_lesson_2.py",  # 15-23
    "lesson_7_components.ipynb",  # 15-21
    "test_sling_runs.py",  # 19-20
    "lesson_6_sling.ipynb",  # 11-22
    "test_course_dev.py",  # 12-19
    "lesson_8_capstone.ipynb",  # 8-26
    "test_postgres.py",  # 12-13
    "lesson_2_file_import.ipynb",  # 7-12
    "lesson_3_partitions.ipynb",  # 5-11
    "lesson_4_apis.ipynb",  # 8-9
    "lesson_5_dlt.ipynb",  # 5-8
)


def _longest_first(item: pytest.Item) -> int:
    name = item.path.name
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_longest_first)  # stable: each file keeps its own order
    if "mutation" not in (config.getoption("markexpr") or ""):
        slow = [item for item in items if "mutation" in item.keywords]
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item not in slow]
    section = config.getoption("--only-section")
    if section is not None:
        keep = [i for i in items if (m := i.get_closest_marker("section")) and m.args[0] == section]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
    if config.getoption("--target") != "workspace":
        return
    skip = pytest.mark.skip(reason=f"{HELPER_SKIP}, not graded")
    for item in items:
        if "solution_only" in item.keywords:
            item.add_marker(skip)


def _find_in_chain(error: BaseException | None, kind: type[BaseException]):
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kind):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Show a stub's "not written yet" message, or a course service's problem, instead
    of a Dagster traceback."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None:
        stub = _find_in_chain(call.excinfo.value, NotWrittenYet)
        if stub is not None:
            report.longrepr = f"{NOT_WRITTEN}{stub}"
        service = _find_in_chain(call.excinfo.value, CourseServiceError)
        if service is not None:
            report.longrepr = f"{SERVICE_PROBLEM}{service}"


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--target")


@pytest.fixture
def load_lesson(target: str):
    """Load the code under test for a lesson: completed code or the whole workspace."""
    return lambda lesson: locations.load_lesson(lesson, target)


@pytest.fixture
def duckdb_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh DuckDB file for this test; DUCKDB_DATABASE points at it too, and the
    staging folder (COURSE_STAGING_DIR) is the test's own."""
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("DUCKDB_DATABASE", str(path))
    monkeypatch.setenv("COURSE_STAGING_DIR", str(tmp_path / "staging"))
    return path


@pytest.fixture
def database(duckdb_path: Path) -> CourseDuckDBResource:
    return CourseDuckDBResource(database=str(duckdb_path))


@pytest.fixture
def source_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of data/source/ that the test may change; COURSE_SOURCE_DIR points at it."""
    folder = tmp_path / "source"
    folder.mkdir()
    for date in COURSE_DATES:
        shutil.copy(settings.DEFAULT_SOURCE_DIR / f"{date}.csv", folder)
    monkeypatch.setenv("COURSE_SOURCE_DIR", str(folder))
    return folder


def read_source_rows(path: Path) -> list[dict[str, str]]:
    """A source file's rows as the csv module reads them: the independent truth tests compare to."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


SOURCE_COLUMNS = "date, share_price, amount, spend, shift, spread"


def source_table_rows(duckdb_path: Path, table: str) -> list[tuple]:
    """The source columns of `table`, every row, sorted (a learner may add columns of
    their own)."""
    from dagster_and_etl.course import warehouse

    return warehouse.fetch(
        f"select {SOURCE_COLUMNS} from {table} order by all", database=duckdb_path
    )


def typed_source_rows(path: Path) -> list[tuple]:
    """A source file's rows, sorted and typed as the tables hold them."""
    return sorted(
        (
            dt.date.fromisoformat(row["date"]),
            float(row["share_price"]),
            int(row["amount"]),
            float(row["spend"]),
            float(row["shift"]),
            float(row["spread"]),
        )
        for row in read_source_rows(path)
    )


@pytest.fixture
def instance(tmp_path: Path):
    """A Dagster instance on disk for this test, for runs that must see earlier runs."""
    with runs.scratch_instance(tmp_path / "dagster_home") as instance:
        yield instance


@contextlib.contextmanager
def folder_for_postgres():
    """A temporary folder for a Postgres server's data, outside pytest's own.

    As root, PostgreSQL runs as another user, which must be able to reach its folder;
    but every pytest process that starts (a worker, `course check`) makes pytest's
    temporary root private to root again, so a server's files under it can vanish
    from under it.
    """
    folder = Path(tempfile.mkdtemp(prefix="course-postgres-test-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_folder():
    with folder_for_postgres() as folder:
        yield folder


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the whole session, on a free port, seeded by seed.sql.

    It stops when the session ends and, started from Python, it also dies with this
    process (or test worker) if that is killed before it can stop it.
    """
    from dagster_and_etl.course.postgres import LocalPostgres, PostgresSettings, free_port

    with folder_for_postgres() as folder:
        server = LocalPostgres(folder, PostgresSettings.from_env(port=free_port()))
        try:
            server.start()
        except Exception as error:
            raise CourseServiceError(
                f"the test PostgreSQL server did not start ({str(error).splitlines()[0]}). "
                "Check free disk space and that `course postgres start` works, then check again."
            ) from error
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def postgres(postgres_server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The session's Postgres, reseeded for this test, with POSTGRES_* pointing at it.

    Sling keeps a small SQLite database of its own in ~/.sling; two Sling runs
    at once (parallel test workers) must not share it, so each test gets its own.
    """
    monkeypatch.setenv("SLING_HOME_DIR", str(tmp_path / "sling_home"))
    postgres_server.seed()
    for name, value in postgres_server.settings.environment().items():
        monkeypatch.setenv(name, value)
    return postgres_server


@pytest.fixture
def server():
    """The course's NeoWs stand-in, on a free port, accepting COURSE_KEY."""
    from dagster_and_etl.course.nasa_server import NeoWsServer

    server = NeoWsServer(api_key="COURSE_KEY")
    try:
        server.start()
    except Exception as error:
        raise CourseServiceError(
            f"the NeoWs stand-in server did not start ({error}). "
            "Check that `course nasa-server` works, then check again."
        ) from error
    try:
        yield server
    finally:
        server.stop()


def nasa_resource(defs: dg.Definitions, server, **overrides) -> dg.ConfigurableResource:
    """The lesson's own NASAResource class, pointed at the stand-in and quick to retry."""
    resource_class = type(defs.resources["nasa"])
    fields = {"api_key": server.api_key, "base_url": server.url}
    for name, value in {"backoff_seconds": 0.01, "max_wait_seconds": 2.0}.items():
        if name in resource_class.model_fields:
            fields[name] = value
    return resource_class(**{**fields, **overrides})


def expected_asteroids(day: str, with_date: bool = False) -> list[tuple]:
    """The stand-in's objects for `day`: id, name, magnitude, hazardous (and the day)."""
    import datetime as dt

    from dagster_and_etl.course.nasa_server import asteroids_for

    date = dt.date.fromisoformat(day)
    return sorted(
        (
            obj["id"],
            obj["name"],
            obj["absolute_magnitude_h"],
            obj["is_potentially_hazardous_asteroid"],
            *((date,) if with_date else ()),
        )
        for obj in asteroids_for(date)
    )


SECRET_FIELDS = ("password", "passwd", "secret", "token", "api_key", "connection_string")


def literal_secrets(resource, where: str = "") -> list[str]:
    """The secret fields of a resource (and of resources inside it) written as literals.

    A secret must come from the environment (`dg.EnvVar("X")`); a field holding a
    plain string is a secret written into the code. Returns where each one is,
    for example `sling.connections[MY_POSTGRES].password`.
    """
    found = []
    if isinstance(resource, (list, tuple)):
        for item in resource:
            name = getattr(item, "name", None) or str(len(found))
            found += literal_secrets(item, f"{where}[{name}]")
        return found
    if not isinstance(resource, pydantic.BaseModel):  # resources and Sling's connections
        return found
    values = {**dict(resource), **(resource.model_extra or {})}
    for name, value in values.items():
        if isinstance(value, (pydantic.BaseModel, list, tuple)):
            found += literal_secrets(value, f"{where}.{name}" if where else name)
        elif (
            any(secret in name.lower() for secret in SECRET_FIELDS)
            and isinstance(value, str)
            and value
            and not isinstance(value, dg.EnvVar)
        ):
            found.append(f"{where}.{name}" if where else name)
    return found


@pytest.fixture(scope="session")
def s3_server():
    """The course's local S3 server (moto) for the whole session, on a free port."""
    from dagster_and_etl.course.s3_server import LocalS3

    server = LocalS3()
    try:
        server.start()
    except Exception as error:
        raise CourseServiceError(
            f"the local S3 server did not start ({error}). "
            "Check that `course s3 start` works, then check again."
        ) from error
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    """A fresh bucket on the session's S3 server, holding the course's source files under
    shares/; the S3 settings (endpoint, keys, COURSE_S3_BUCKET) point at it."""
    import re
    import uuid

    for name, value in s3_server.environment().items():
        monkeypatch.setenv(name, value)
    slug = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:30].strip("-")
    bucket = f"{slug}-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("COURSE_S3_BUCKET", bucket)
    monkeypatch.setenv("COURSE_S3_PREFIX", "shares/")
    s3_server.seed(bucket, "shares/")
    return s3_server
