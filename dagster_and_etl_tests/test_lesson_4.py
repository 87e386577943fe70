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


def loaded(duckdb_path, table="raw_asteroid_data") -> list[tuple]:
    return warehouse.fetch(f"select * from {table} order by all", database=duckdb_path)


def error_of(result: dg.ExecuteInProcessResult) -> str:
    [failure] = [event for event in result.all_events if event.is_step_failure]
    return failure.step_failure_data.error.to_string()


def test_a_date_loads_the_previous_days_objects(defs, database, duckdb_path, server, staging):
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


def test_the_staging_file_is_one_csv_per_day(defs, database, server, staging):
    run_for(defs, database, nasa_resource(defs, server), "2025-04-02")
    run_for(defs, database, nasa_resource(defs, server), "2025-04-03")
    files = sorted(path.name for path in (staging / "asteroids").iterdir())
    assert files == ["2025-04-01.csv", "2025-04-02.csv"]
    header = (staging / "asteroids" / "2025-04-01.csv").read_text().splitlines()[0]
    assert header == "id,name,absolute_magnitude_h,is_potentially_hazardous_asteroid"


def test_running_a_date_again_leaves_the_same_rows(defs, database, duckdb_path, server, staging):
    resource = nasa_resource(defs, server)
    run_for(defs, database, resource, "2025-04-02")
    run_for(defs, database, resource, "2025-04-03")
    first = loaded(duckdb_path)
    run_for(defs, database, resource, "2025-04-02")
    assert loaded(duckdb_path) == first == sorted(expected("2025-04-01") + expected("2025-04-02"))


@pytest.mark.parametrize("bad_date", ["2025-13-01", "04/02/2025", "2025-02-30", "yesterday"])
def test_a_bad_date_is_refused_before_any_request(defs, database, server, staging, bad_date):
    result = run_for(defs, database, nasa_resource(defs, server), bad_date, raise_on_error=False)
    assert not result.success
    assert "YYYY-MM-DD" in error_of(result)
    assert server.requests == []
    # The run launched; the asteroids step failed as it built its config.
    failed = [event.step_key for event in result.all_events if event.is_step_failure]
    assert failed == ["asteroids"]


def test_a_wrong_key_says_to_set_nasa_api_key(defs, database, duckdb_path, server, staging):
    resource = nasa_resource(defs, server, api_key="not-my-key")
    result = run_for(defs, database, resource, "2025-04-02", raise_on_error=False)
    assert not result.success
    message = error_of(result)
    assert "403" in message
    assert "NASA_API_KEY" in message
    assert not duckdb_path.exists() or loaded(duckdb_path) == []


def test_two_rate_limits_then_success(defs, database, duckdb_path, server, staging):
    server.fail_next(429, times=2, retry_after=0)
    run_for(defs, database, nasa_resource(defs, server), "2025-04-02")
    assert len(server.requests) == 3
    assert loaded(duckdb_path) == expected("2025-04-01")


def test_retry_after_is_honoured(defs, database, server, staging):
    server.fail_next(429, times=1, retry_after=1)
    started = time.monotonic()
    run_for(defs, database, nasa_resource(defs, server), "2025-04-02")
    assert time.monotonic() - started >= 1.0
    assert len(server.requests) == 2


def test_persistent_503_fails_clearly_and_loads_nothing(
    defs, database, duckdb_path, server, staging
):
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


def test_an_unreachable_api_fails_with_a_clear_message(defs, database, staging):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = NeoWsServer(api_key="COURSE_KEY", port=port)  # never started
    resource = nasa_resource(defs, closed, max_attempts=2)
    result = run_for(defs, database, resource, "2025-04-02", raise_on_error=False)
    assert not result.success
    assert f"127.0.0.1:{port}" in error_of(result)


def test_the_definitions_take_key_and_url_from_the_environment(
    load_lesson, database, duckdb_path, server, staging, monkeypatch
):
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


def test_the_schedule_runs_at_six_for_the_day_before(defs):
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


def test_the_job_selects_the_three_assets(defs):
    job = defs.resolve_job_def("asteroid_job")
    assert {key.to_user_string() for key in job.asset_layer.selected_asset_keys} == set(PIPELINE)


def test_a_backfill_loads_each_day_once(defs, database, duckdb_path, server, staging, instance):
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


def test_the_partitioned_fetch_is_limited_by_a_pool(defs):
    asset = defs.resolve_assets_def("asteroids_partition")
    assert asset.op.pool, f"give asteroids_partition a pool to limit API calls ({PAGE})"


@pytest.mark.skipif(
    os.environ.get("NASA_API_KEY", "DEMO_KEY") in ("", "DEMO_KEY", "COURSE_KEY"),
    reason="optional: set NASA_API_KEY to a real key (and be online) to test against api.nasa.gov",
)
def test_against_the_real_api(defs, database, duckdb_path, staging):
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


def test_the_retry_adapter_rides_out_rate_limits(server):
    from dagster_and_etl.lesson_4.retry_adapter import session_with_retries

    server.fail_next(429, times=2, retry_after=0)
    response = feed(session_with_retries(backoff_seconds=0.01), server)
    assert response.ok and len(response.json()["near_earth_objects"]["2025-04-01"]) == 9
    assert len(server.requests) == 3


def test_the_retry_adapter_gives_up_with_the_last_answer(server):
    from dagster_and_etl.lesson_4.retry_adapter import session_with_retries

    server.fail_next(503, times=50)
    session = session_with_retries(max_attempts=3, backoff_seconds=0.01)
    assert feed(session, server).status_code == 503
    assert len(server.requests) == 3


def test_the_retry_adapter_does_not_retry_a_bad_request(server):
    from dagster_and_etl.lesson_4.retry_adapter import session_with_retries

    response = feed(session_with_retries(backoff_seconds=0.01), server, start_date="04/01/2025")
    assert response.status_code == 400
    assert len(server.requests) == 1
