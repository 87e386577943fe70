"""Lesson 4: the NeoWs API through a resource, against the course's local stand-in server."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time

import dagster as dg
import pytest

from dagster_and_etl.course import runs, warehouse
from dagster_and_etl.course.nasa_server import NeoWsServer
from dagster_and_etl_tests.conftest import expected_asteroids, nasa_resource

PAGE = "lessons/lesson_4_apis.md"
PIPELINE = ["asteroids", "asteroids_file", "duckdb_asteroid_table"]
PARTITIONED = ["asteroids_partition", "duckdb_asteroid_partition_table"]


@pytest.fixture
def defs(load_lesson) -> dg.Definitions:
    return load_lesson(4)


@pytest.fixture
def staging(tmp_path, monkeypatch):
    folder = tmp_path / "staging"
    monkeypatch.setenv("COURSE_STAGING_DIR", str(folder))
    return folder


def run_for(defs, database, resource, date, **kwargs) -> dg.ExecuteInProcessResult:
    return runs.materialize(
        defs,
        PIPELINE,
        resources={"database": database, "nasa": resource},
        run_config={"ops": {"asteroids": {"config": {"date": date}}}},
        **kwargs,
    )


def expected(day: str) -> list[tuple]:
    return expected_asteroids(day, with_date=True)


COLUMNS = "id, name, absolute_magnitude_h, is_potentially_hazardous_asteroid, approach_date"


def loaded(duckdb_path, table="raw_asteroid_data") -> list[tuple]:
    """The table's rows, by the lesson's columns (a learner may add columns of their own)."""
    return warehouse.fetch(f"select {COLUMNS} from {table} order by all", database=duckdb_path)


def error_of(result: dg.ExecuteInProcessResult) -> str:
    [failure] = [event for event in result.all_events if event.is_step_failure]
    return failure.step_failure_data.error.to_string()


@pytest.mark.section("Step 3: extract, stage, load")
def test_a_date_loads_the_previous_days_objects(defs, database, duckdb_path, server, staging):
    """a run for a date loads the previous day's objects, with typed columns."""
    run_for(defs, database, nasa_resource(defs, server), "2025-04-02")
    assert loaded(duckdb_path) == expected("2025-04-01")
    assert server.requests[0]["start_date"] == server.requests[0]["end_date"] == "2025-04-01"
    types = dict(
        warehouse.fetch(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'raw_asteroid_data'",
            database=duckdb_path,
        )
    )
    assert types["absolute_magnitude_h"] == "DOUBLE"
    assert types["is_potentially_hazardous_asteroid"] == "BOOLEAN"


@pytest.mark.section("Step 3: extract, stage, load")
def test_the_staging_file_is_one_csv_per_day(defs, database, server, staging):
    """each day is staged as its own CSV file with the four kept fields."""
    run_for(defs, database, nasa_resource(defs, server), "2025-04-02")
    run_for(defs, database, nasa_resource(defs, server), "2025-04-03")
    files = sorted(path.name for path in (staging / "asteroids").iterdir())
    assert files == ["2025-04-01.csv", "2025-04-02.csv"]
    header = (staging / "asteroids" / "2025-04-01.csv").read_text().splitlines()[0]
    assert header == "id,name,absolute_magnitude_h,is_potentially_hazardous_asteroid"


@pytest.mark.section("Step 3: extract, stage, load")
def test_running_a_date_again_leaves_the_same_rows(defs, database, duckdb_path, server, staging):
    """running a date again leaves the same rows."""
    resource = nasa_resource(defs, server)
    run_for(defs, database, resource, "2025-04-02")
    run_for(defs, database, resource, "2025-04-03")
    first = loaded(duckdb_path)
    run_for(defs, database, resource, "2025-04-02")
    assert loaded(duckdb_path) == first == sorted(expected("2025-04-01") + expected("2025-04-02"))


@pytest.mark.section("Step 2: validating the run's date")
@pytest.mark.parametrize("bad_date", ["2025-13-01", "04/02/2025", "2025-02-30", "yesterday"])
def test_a_bad_date_is_refused_before_any_request(defs, database, server, staging, bad_date):
    """a date that is not a real YYYY-MM-DD day is refused before any request."""
    result = run_for(defs, database, nasa_resource(defs, server), bad_date, raise_on_error=False)
    assert not result.success
    assert "YYYY-MM-DD" in error_of(result)
    assert server.requests == []
    # The run launched; the asteroids step failed as it built its config.
    failed = [event.step_key for event in result.all_events if event.is_step_failure]
    assert failed == ["asteroids"]


@pytest.mark.section("Step 1: a resource for the API")
def test_a_wrong_key_says_to_set_nasa_api_key(defs, database, duckdb_path, server, staging):
    """a refused key (403) fails with a message that says to set NASA_API_KEY."""
    resource = nasa_resource(defs, server, api_key="not-my-key")
    result = run_for(defs, database, resource, "2025-04-02", raise_on_error=False)
    assert not result.success
    message = error_of(result)
    assert "403" in message
    assert "NASA_API_KEY" in message
    assert not duckdb_path.exists() or loaded(duckdb_path) == []


@pytest.mark.section("Step 6: rate limits and retries")
def test_two_rate_limits_then_success(defs, database, duckdb_path, server, staging):
    """two 429 answers are retried and the third request loads the day."""
    server.fail_next(429, times=2, retry_after=0)
    run_for(defs, database, nasa_resource(defs, server), "2025-04-02")
    assert len(server.requests) == 3
    assert loaded(duckdb_path) == expected("2025-04-01")


@pytest.mark.section("Step 6: rate limits and retries")
def test_retry_after_is_honoured(defs, database, server, staging):
    """a Retry-After of one second is waited before the retry."""
    server.fail_next(429, times=1, retry_after=1)
    started = time.monotonic()
    run_for(defs, database, nasa_resource(defs, server), "2025-04-02")
    assert time.monotonic() - started >= 1.0
    assert len(server.requests) == 2


@pytest.mark.section("Step 6: rate limits and retries")
def test_the_retry_waits_as_long_as_retry_after_says(defs, database, server, staging):
    """after a 429 with Retry-After: 2, the next request comes two seconds later, not sooner."""
    server.fail_next(429, times=1, retry_after=2)
    run_for(defs, database, nasa_resource(defs, server), "2025-04-02")
    assert len(server.requests) == 2, f"{len(server.requests)} requests for one 429, not 2"
    gap = server.request_times[1] - server.request_times[0]
    assert gap >= 1.9, (
        f"the retry came {gap:.2f}s after a 429 that said Retry-After: 2; wait what the "
        "server asks before retrying"
    )


@pytest.mark.section("Step 6: rate limits and retries")
def test_persistent_503_fails_clearly_and_loads_nothing(
    defs, database, duckdb_path, server, staging
):
    """a server that keeps answering 503 is given up on, clearly, and nothing is loaded."""
    server.fail_next(503, times=50)
    result = run_for(
        defs, database, nasa_resource(defs, server), "2025-04-02", raise_on_error=False
    )
    assert not result.success
    message = error_of(result)
    assert "503" in message
    assert "2025-04-01" in message
    assert 1 < len(server.requests) < 50
    assert not duckdb_path.exists() or loaded(duckdb_path) == []
    assert not (staging / "asteroids").exists()


@pytest.mark.section("Step 1: a resource for the API")
def test_an_unreachable_api_fails_with_a_clear_message(defs, database, staging):
    """an unreachable API fails with a message naming its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = NeoWsServer(api_key="COURSE_KEY", port=port)  # never started
    resource = nasa_resource(defs, closed, max_attempts=2)
    result = run_for(defs, database, resource, "2025-04-02", raise_on_error=False)
    assert not result.success
    assert f"127.0.0.1:{port}" in error_of(result)


@pytest.mark.solution_only
@pytest.mark.section("Step 6: rate limits and retries")
def test_the_stand_in_not_running_says_to_start_it(defs, database, staging):
    """Against the real resource and a port where nothing listens: the message names the base
    URL, `course nasa-server` and NASA_API_BASE_URL, and loads nothing."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = NeoWsServer(api_key="COURSE_KEY", port=port)  # never started
    result = run_for(
        defs, database, nasa_resource(defs, closed, max_attempts=2), "2025-04-02",
        raise_on_error=False,
    )  # fmt: skip
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert f"http://127.0.0.1:{port}" in message
    assert "course nasa-server" in message and "NASA_API_BASE_URL" in message
    assert "run it again later" not in message


@pytest.mark.solution_only
@pytest.mark.section("Step 6: rate limits and retries")
def test_a_failing_stand_in_names_its_url_and_says_to_wait(defs, database, server, staging):
    """a server that keeps answering 503 is named by its URL, and the message says to wait,
    not to start the stand-in."""
    server.fail_next(503, times=50)
    result = run_for(
        defs, database, nasa_resource(defs, server, max_attempts=2), "2025-04-02",
        raise_on_error=False,
    )  # fmt: skip
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert f"{server.url} answered 503" in message
    assert "up but failing" in message and "course nasa-server" not in message


@pytest.mark.section("Step 6: rate limits and retries")
def test_the_advice_for_an_unreachable_remote_api_names_the_url_and_the_stand_in():
    """when NASA's API cannot be reached, the advice names its URL, the network, and the
    stand-in as the way to work offline."""
    from dagster_and_etl.course.nasa_api import what_to_try

    advice = what_to_try("https://api.nasa.gov", reached=False)
    assert "https://api.nasa.gov" in advice and "internet connection" in advice
    assert "course nasa-server" in advice


@pytest.mark.section("Step 1: a resource for the API")
def test_the_definitions_take_key_and_url_from_the_environment(
    load_lesson, database, duckdb_path, server, staging, monkeypatch
):
    """the nasa resource takes its key from NASA_API_KEY, and fails without it."""
    monkeypatch.setenv("NASA_API_BASE_URL", server.url)
    monkeypatch.delenv("NASA_API_KEY", raising=False)
    defs = load_lesson(4)
    resource = defs.resources["nasa"]
    with pytest.raises(dg.DagsterInvalidConfigError, match="NASA_API_KEY"):
        run_for(defs, database, resource, "2025-04-02")
    assert server.requests == []

    monkeypatch.setenv("NASA_API_KEY", server.api_key)
    run_for(defs, database, resource, "2025-04-02")
    assert loaded(duckdb_path) == expected("2025-04-01")


@pytest.mark.section("Step 4: a job and a schedule")
def test_the_schedule_runs_at_six_for_the_day_before(defs):
    """date_range_schedule runs asteroid_job at 06:00 with that day's date."""
    names = [schedule.name for schedule in defs.schedules or []]
    assert "date_range_schedule" in names, f"write date_range_schedule ({PAGE}, Step 4)"
    schedule = defs.resolve_schedule_def("date_range_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.job_name == "asteroid_job"
    tick = dt.datetime(2025, 4, 3, 6, 0, tzinfo=dt.timezone.utc)
    [request] = schedule.evaluate_tick(
        dg.build_schedule_context(scheduled_execution_time=tick)
    ).run_requests
    assert request.run_config == {"ops": {"asteroids": {"config": {"date": "2025-04-03"}}}}


@pytest.mark.section("Step 4: a job and a schedule")
def test_the_job_selects_the_three_assets(defs):
    """asteroid_job selects asteroids, asteroids_file and duckdb_asteroid_table."""
    job = defs.resolve_job_def("asteroid_job")
    assert {key.to_user_string() for key in job.asset_layer.selected_asset_keys} == set(PIPELINE)


@pytest.mark.section("Step 5: partitions for backfills")
def test_a_backfill_loads_each_day_once(defs, database, duckdb_path, server, staging, instance):
    """a backfill loads each day once, even with one day run twice."""
    days = ["2025-04-01", "2025-04-02", "2025-04-03"]
    resources = {"database": database, "nasa": nasa_resource(defs, server)}
    for day in [*days, days[1]]:  # one day twice, as a retried backfill would
        runs.materialize(
            defs, PARTITIONED, resources=resources, partition_key=day, instance=instance
        )
    assert loaded(duckdb_path, "raw_asteroid_partition_data") == sorted(
        row for day in days for row in expected(day)
    )
    assert instance.get_materialized_partitions(dg.AssetKey("asteroids_partition")) == set(days)


@pytest.mark.section("Step 5: partitions for backfills")
def test_the_partitioned_fetch_is_limited_by_a_pool(defs):
    """asteroids_partition runs in a pool that limits API calls."""
    asset = defs.resolve_assets_def("asteroids_partition")
    assert asset.op.pool, f"give asteroids_partition a pool to limit API calls ({PAGE})"


def timeout_fields(defs) -> dict[str, float]:
    """The resource's timeout setting(s), shortened for a test."""
    fields = type(defs.resources["nasa"]).model_fields
    names = [name for name in fields if "timeout" in name]
    assert names, (
        "NASAResource has no timeout setting: give it one (timeout_seconds) and pass it "
        "to requests.get"
    )
    return {name: 0.5 for name in names}


@pytest.mark.section("Step 6: rate limits and retries")
def test_a_server_that_does_not_answer_times_out_and_is_retried(
    defs, database, duckdb_path, server, staging
):
    """a request that gets no answer is cut off by the timeout and retried, and the day loads."""
    resource = nasa_resource(defs, server, **timeout_fields(defs))
    server.fail_next(200, times=1, delay=4.0)  # the first answer comes after four seconds
    result = run_for(defs, database, resource, "2025-04-02", raise_on_error=False)
    assert result.success, f"the run failed after a slow answer: {error_of(result)[:200]}"
    times = server.request_times
    assert len(times) >= 2 and times[1] - times[0] < 3.5, (
        f"{len(times)} request(s): the first, unanswered for 4s, should be cut off by the "
        "timeout (pass timeout= to requests.get) and retried at once"
    )
    assert loaded(duckdb_path) == expected("2025-04-01")


@pytest.mark.section("Step 6: rate limits and retries")
@pytest.mark.parametrize("status", [400, 404])
def test_a_client_error_is_not_retried(defs, database, duckdb_path, server, staging, status):
    """a 400 or 404 answer fails the run at once, naming the status, after a single request."""
    server.fail_next(status, times=5)
    result = run_for(
        defs, database, nasa_resource(defs, server), "2025-04-02", raise_on_error=False
    )
    assert not result.success, f"the run succeeded although NASA answered {status}"
    calls = len(server.requests)
    assert calls == 1, (
        f"{calls} requests after a {status}: only 429 and 5xx are worth retrying; "
        f"the same request will get the same {status}"
    )
    assert str(status) in error_of(result), f"the error does not name the status {status}"
    assert not duckdb_path.exists() or loaded(duckdb_path) == []


@pytest.mark.section("Step 3: extract, stage, load")
def test_a_failed_load_keeps_the_days_previous_rows(
    defs, database, duckdb_path, server, staging, instance
):
    """a staging file that fails to load leaves the day's previous rows in place."""
    resource = nasa_resource(defs, server)
    run_for(defs, database, resource, "2025-04-02", instance=instance)
    before = loaded(duckdb_path)
    [staged] = (staging / "asteroids").glob("*.csv")
    lines = staged.read_text().splitlines()
    first = lines[1].split(",")
    first[2] = "very bright"  # absolute_magnitude_h is a number
    staged.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")

    result = runs.materialize(
        defs,
        ["duckdb_asteroid_table"],
        resources={"database": database, "nasa": resource},
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success, "a staging file with a word for a magnitude loaded without error"
    after = loaded(duckdb_path)
    assert after == before, (
        f"raw_asteroid_data holds {len(after)} rows after a failed load, not the {len(before)} "
        "it held: delete and insert belong in one transaction"
    )


@pytest.mark.section("Step 5: partitions for backfills")
def test_the_partitioned_table_writes_through_the_duckdb_pool(defs):
    """duckdb_asteroid_partition_table runs in the duckdb pool, one DuckDB writer at a time."""
    asset = defs.resolve_assets_def("duckdb_asteroid_partition_table")
    assert asset.op.pool == "duckdb", (
        f"duckdb_asteroid_partition_table's pool is {asset.op.pool!r}, not 'duckdb': "
        "backfill runs would write to DuckDB at the same time"
    )


@pytest.mark.section("Step 3: extract, stage, load")
@pytest.mark.skipif(
    os.environ.get("NASA_API_KEY", "DEMO_KEY") in ("", "DEMO_KEY", "COURSE_KEY"),
    reason="optional: set NASA_API_KEY to a real key (and be online) to test against api.nasa.gov",
)
def test_against_the_real_api(defs, database, duckdb_path, staging):
    """with a real key, the real API's objects load for the day before."""
    try:
        socket.create_connection(("api.nasa.gov", 443), timeout=3).close()
    except OSError:
        pytest.skip("optional: api.nasa.gov is not reachable from this machine")
    resource = type(defs.resources["nasa"])(api_key=os.environ["NASA_API_KEY"])
    run_for(defs, database, resource, "2025-04-02")
    rows = loaded(duckdb_path)
    assert rows and all(row[4] == dt.date(2025, 4, 1) for row in rows)


# Optional: the urllib3 Retry adapter (lesson 4, Step 6) ------------------------


def feed(session, server, **params):
    return session.get(
        f"{server.url}/neo/rest/v1/feed",
        params={"start_date": "2025-04-01", "end_date": "2025-04-01", "api_key": server.api_key}
        | params,
        timeout=10,
    )


@pytest.mark.section("Step 6: rate limits and retries")
def test_the_retry_adapter_rides_out_rate_limits(server):
    """requests' own retry adapter rides out two 429 answers and gets the data."""
    from dagster_and_etl.lesson_4.retry_adapter import session_with_retries

    server.fail_next(429, times=2, retry_after=0)
    response = feed(session_with_retries(backoff_seconds=0.01), server)
    assert response.ok and len(response.json()["near_earth_objects"]["2025-04-01"]) == 9
    assert len(server.requests) == 3


@pytest.mark.section("Step 6: rate limits and retries")
def test_the_retry_adapter_gives_up_with_the_last_answer(server):
    """the retry adapter gives up after its retries with the server's last answer."""
    from dagster_and_etl.lesson_4.retry_adapter import session_with_retries

    server.fail_next(503, times=50)
    session = session_with_retries(max_attempts=3, backoff_seconds=0.01)
    assert feed(session, server).status_code == 503
    assert len(server.requests) == 3


@pytest.mark.section("Step 6: rate limits and retries")
def test_the_retry_adapter_does_not_retry_a_bad_request(server):
    """the retry adapter does not retry a bad request."""
    from dagster_and_etl.lesson_4.retry_adapter import session_with_retries

    response = feed(session_with_retries(backoff_seconds=0.01), server, start_date="04/01/2025")
    assert response.status_code == 400
    assert len(server.requests) == 1
