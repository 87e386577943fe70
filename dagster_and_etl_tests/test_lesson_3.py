"""Lesson 3: daily and dynamic partitions, a schedule, a sensor and a backfill, checked on data."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_and_etl.course import runs, settings, warehouse
from dagster_and_etl.course.source_files import COURSE_DATES, generate_file
from dagster_and_etl_tests.conftest import read_source_rows

PAGE = "lessons/lesson_3_partitions.md"
DAILY = ["import_partition_file", "duckdb_partition_table"]
DYNAMIC = ["import_dynamic_partition_file", "duckdb_dynamic_partition_table"]


@pytest.fixture
def defs(load_lesson) -> dg.Definitions:
    return load_lesson(3)


def load_day(defs, database, day, **kwargs) -> dg.ExecuteInProcessResult:
    return runs.materialize(
        defs, DAILY, resources={"database": database}, partition_key=day, **kwargs
    )


def rows_by_partition(duckdb_path: Path, table: str = "raw_partition_data") -> dict[str, int]:
    rows = warehouse.fetch(
        f"select strftime(date, '%Y-%m-%d'), count(*) from {table} group by 1 order by 1",
        database=duckdb_path,
    )
    return dict(rows)


def source_count(folder: Path, day: str) -> int:
    return len(read_source_rows(folder / f"{day}.csv"))


# Daily partitions ------------------------------------------------------------


def test_daily_partitions_are_exactly_the_days_with_files(defs):
    job = defs.resolve_job_def("import_partition_job")
    assert job.partitions_def.get_partition_keys() == list(COURSE_DATES), (
        f"one daily partition per source file, 2018-01-22 to 2018-01-24 ({PAGE}, Step 1)"
    )


@pytest.mark.parametrize("day", COURSE_DATES)
def test_each_partition_loads_exactly_its_files_rows(defs, database, duckdb_path, day):
    result = load_day(defs, database, day)
    assert rows_by_partition(duckdb_path) == {day: source_count(settings.DEFAULT_SOURCE_DIR, day)}
    [materialization] = result.asset_materializations_for_node("duckdb_partition_table")
    assert materialization.partition == day
    assert materialization.metadata["dagster/row_count"].value == source_count(
        settings.DEFAULT_SOURCE_DIR, day
    )
    prices = warehouse.fetch(
        "select share_price from raw_partition_data order by share_price", database=duckdb_path
    )
    expected = sorted(
        float(row["share_price"])
        for row in read_source_rows(settings.DEFAULT_SOURCE_DIR / f"{day}.csv")
    )
    assert [price for (price,) in prices] == expected


def test_all_partitions_give_the_sum_and_a_rerun_changes_nothing(defs, database, duckdb_path):
    for day in COURSE_DATES:
        load_day(defs, database, day)
    expected = {day: source_count(settings.DEFAULT_SOURCE_DIR, day) for day in COURSE_DATES}
    assert rows_by_partition(duckdb_path) == expected

    before = warehouse.fetch("select * from raw_partition_data order by all", database=duckdb_path)
    load_day(defs, database, COURSE_DATES[1])
    after = warehouse.fetch("select * from raw_partition_data order by all", database=duckdb_path)
    assert after == before


def test_a_rerun_replaces_only_its_partition(defs, database, duckdb_path, source_dir):
    for day in COURSE_DATES:
        load_day(defs, database, day)
    # A corrected file for the 23rd with fewer rows replaces that day, and only it.
    generate_file("2018-01-23", source_dir, rows=4)
    load_day(defs, database, "2018-01-23")
    counts = rows_by_partition(duckdb_path)
    assert counts == {
        "2018-01-22": source_count(source_dir, "2018-01-22"),
        "2018-01-23": 4,
        "2018-01-24": source_count(source_dir, "2018-01-24"),
    }


def test_a_failed_load_keeps_the_partitions_previous_rows(defs, database, duckdb_path, source_dir):
    load_day(defs, database, "2018-01-22")
    before = warehouse.fetch("select * from raw_partition_data order by all", database=duckdb_path)

    path = source_dir / "2018-01-22.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[1], "not-a-price", 1)
    path.write_text("\n".join(lines) + "\n")

    result = load_day(defs, database, "2018-01-22", raise_on_error=False)
    assert not result.success
    error = result.failure_data_for_node("duckdb_partition_table").error.to_string()
    assert "2018-01-22" in error
    assert (
        warehouse.fetch("select * from raw_partition_data order by all", database=duckdb_path)
        == before
    )


# Schedule --------------------------------------------------------------------


def partition_schedule(defs: dg.Definitions) -> dg.ScheduleDefinition:
    resolved = [defs.resolve_schedule_def(s.name) for s in defs.schedules or []]
    schedules = [s for s in resolved if s.job_name == "import_partition_job"]
    assert len(schedules) == 1, (
        f"expected one schedule on import_partition_job ({PAGE}, 'Step 3: a job and a schedule')"
    )
    return schedules[0]


@pytest.mark.parametrize(
    ("tick", "expected_partition"),
    [
        (dt.datetime(2018, 1, 23, 0, 15, tzinfo=dt.timezone.utc), "2018-01-22"),
        (dt.datetime(2018, 1, 24, 0, 15, tzinfo=dt.timezone.utc), "2018-01-23"),
        (dt.datetime(2018, 1, 25, 0, 15, tzinfo=dt.timezone.utc), "2018-01-24"),
    ],
)
def test_the_schedule_requests_the_day_that_just_ended(defs, tick, expected_partition):
    schedule = partition_schedule(defs)
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == expected_partition


def test_the_schedule_runs_daily_after_midnight(defs):
    schedule = partition_schedule(defs)
    minute, hour, *_ = schedule.cron_schedule.split()
    assert hour == "0"
    assert minute.isdigit()


# Backfill --------------------------------------------------------------------


def test_a_backfill_of_every_day_loads_each_day_once(defs, database, duckdb_path, instance):
    job = defs.resolve_job_def("import_partition_job")
    keys = job.partitions_def.get_partition_keys()
    for key in keys:  # a backfill launches one run per partition, as here
        result = runs.materialize(
            defs, DAILY, resources={"database": database}, partition_key=key, instance=instance
        )
        assert result.success
    assert rows_by_partition(duckdb_path) == {
        key: source_count(settings.DEFAULT_SOURCE_DIR, key) for key in keys
    }
    materialized = instance.get_materialized_partitions(dg.AssetKey("duckdb_partition_table"))
    assert materialized == set(keys)


# Dynamic partitions and the sensor ----------------------------------------------


def test_dynamic_assets_load_a_partition_added_through_the_instance(
    defs, database, duckdb_path, instance
):
    instance.add_dynamic_partitions("dynamic_partition", ["2018-01-23"])
    runs.materialize(
        defs,
        DYNAMIC,
        resources={"database": database},
        partition_key="2018-01-23",
        instance=instance,
    )
    counts = rows_by_partition(duckdb_path, "raw_dynamic_partition_data")
    assert counts == {"2018-01-23": source_count(settings.DEFAULT_SOURCE_DIR, "2018-01-23")}


def age(path: Path, seconds: float) -> None:
    """Set a file's modification time `seconds` in the past: settled, for the sensor."""
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


@pytest.fixture
def sensor_folder(source_dir: Path) -> Path:
    for path in source_dir.iterdir():
        age(path, 600)
    return source_dir


def tick(defs, instance, cursor):
    """One sensor evaluation on a real instance, applying its partition requests like the daemon."""
    sensor = defs.resolve_sensor_def("dynamic_sensor")
    result = sensor(dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs))
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def requested(result) -> list[str]:
    return sorted(request.partition_key for request in result.run_requests or [])


def test_sensor_first_tick_requests_each_file_and_adds_its_partition(defs, instance, sensor_folder):
    result = tick(defs, instance, None)
    assert requested(result) == list(COURSE_DATES)
    assert sorted(instance.get_dynamic_partitions("dynamic_partition")) == list(COURSE_DATES)
    assert len({request.run_key for request in result.run_requests}) == 3
    cursor = json.loads(result.cursor)
    assert sorted(cursor) == [f"{day}.csv" for day in COURSE_DATES]


def test_sensor_quiet_tick_touched_file_and_new_file(defs, instance, sensor_folder):
    first = tick(defs, instance, None)

    quiet = tick(defs, instance, first.cursor)
    assert requested(quiet) == []
    assert json.loads(quiet.cursor) == json.loads(first.cursor)

    age(sensor_folder / "2018-01-23.csv", 120)  # touched: a new modification time
    touched = tick(defs, instance, quiet.cursor)
    assert requested(touched) == ["2018-01-23"]
    [old_key] = [r.run_key for r in first.run_requests if r.partition_key == "2018-01-23"]
    assert touched.run_requests[0].run_key != old_key
    # The cursor still holds every file, not just the one that changed.
    assert sorted(json.loads(touched.cursor)) == [f"{day}.csv" for day in COURSE_DATES]

    age(generate_file("2018-01-25", sensor_folder), 60)
    added = tick(defs, instance, touched.cursor)
    assert requested(added) == ["2018-01-25"]
    assert "2018-01-25" in instance.get_dynamic_partitions("dynamic_partition")

    assert requested(tick(defs, instance, added.cursor)) == []


def test_sensor_ignores_other_files_and_files_still_being_written(defs, instance, sensor_folder):
    first = tick(defs, instance, None)
    age(
        sensor_folder.joinpath("notes.txt").write_text("not data") and sensor_folder / "notes.txt",
        60,
    )
    fresh = generate_file("2018-01-26", sensor_folder)  # modified just now

    result = tick(defs, instance, first.cursor)
    assert requested(result) == []
    assert "2018-01-26.csv" not in json.loads(result.cursor)

    age(fresh, 60)  # settled
    assert requested(tick(defs, instance, result.cursor)) == ["2018-01-26"]


def test_sensor_limits_runs_per_tick_and_continues(defs, instance, sensor_folder):
    for day in range(1, 8):
        age(generate_file(f"2018-02-{day:02d}", sensor_folder), 60)  # 3 + 7 = 10 files
    limit = 5

    seen = []
    cursor = None
    for _ in range(3):
        result = tick(defs, instance, cursor)
        assert len(result.run_requests or []) <= limit
        seen += requested(result)
        cursor = result.cursor
    assert len(seen) == 10
    assert len(set(seen)) == 10
    assert requested(tick(defs, instance, cursor)) == []


def test_sensor_requests_load_the_file(defs, database, duckdb_path, instance, sensor_folder):
    result = tick(defs, instance, None)
    for request in result.run_requests:
        runs.materialize(
            defs,
            DYNAMIC,
            resources={"database": database},
            partition_key=request.partition_key,
            instance=instance,
        )
    counts = rows_by_partition(duckdb_path, "raw_dynamic_partition_data")
    assert counts == {day: source_count(sensor_folder, day) for day in COURSE_DATES}


# Step 7: a sensor on object storage, against the local S3 server ----------------

S3_SECTION = "Step 7: a sensor on object storage"
S3_ASSETS = ["import_s3_partition_file", "duckdb_s3_partition_table"]


def s3_tick(defs, instance, cursor):
    """One s3_sensor evaluation on a real instance, applying its partition requests."""
    sensor = defs.resolve_sensor_def("s3_sensor")
    result = sensor(dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs))
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def put_object(s3, name: str, body: bytes) -> None:
    s3.client().put_object(Bucket=settings.get("COURSE_S3_BUCKET"), Key=f"shares/{name}", Body=body)


def csv_bytes(tmp_path: Path, day: str, rows: int | None = None) -> bytes:
    return generate_file(day, tmp_path / "upload", rows=rows).read_bytes()


@pytest.mark.section(S3_SECTION)
def test_s3_sensor_requests_each_new_or_changed_object_once(defs, instance, s3, tmp_path):
    """s3_sensor requests one run per object on its first tick, none on a quiet tick, then
    exactly one for an object whose content changed and one for a new object."""
    first = s3_tick(defs, instance, None)
    assert requested(first) == list(COURSE_DATES)
    assert sorted(instance.get_dynamic_partitions("s3_partition")) == list(COURSE_DATES)

    quiet = s3_tick(defs, instance, first.cursor)
    assert requested(quiet) == []

    put_object(s3, "2018-01-23.csv", csv_bytes(tmp_path, "2018-01-23", rows=4))  # rewritten
    changed = s3_tick(defs, instance, quiet.cursor)
    assert requested(changed) == ["2018-01-23"]
    [old_key] = [r.run_key for r in first.run_requests if r.partition_key == "2018-01-23"]
    assert changed.run_requests[0].run_key != old_key

    put_object(s3, "2018-01-25.csv", csv_bytes(tmp_path, "2018-01-25"))
    put_object(s3, "notes.txt", b"not data")
    added = s3_tick(defs, instance, changed.cursor)
    assert requested(added) == ["2018-01-25"]
    assert "2018-01-25" in instance.get_dynamic_partitions("s3_partition")

    assert requested(s3_tick(defs, instance, added.cursor)) == []


@pytest.mark.section(S3_SECTION)
def test_s3_sensor_reads_every_page_and_limits_runs_per_tick(
    defs, instance, s3, tmp_path, monkeypatch
):
    """With listings of two keys a page, s3_sensor still finds all seven objects, requests
    at most five runs a tick, each object exactly once, then nothing."""
    monkeypatch.setenv("COURSE_S3_LIST_PAGE_SIZE", "2")
    for day in range(1, 5):
        put_object(s3, f"2018-02-{day:02d}.csv", csv_bytes(tmp_path, f"2018-02-{day:02d}"))

    seen = []
    cursor = None
    for _ in range(3):
        result = s3_tick(defs, instance, cursor)
        assert len(result.run_requests or []) <= 5
        seen += requested(result)
        cursor = result.cursor
    assert sorted(seen) == [*COURSE_DATES, "2018-02-01", "2018-02-02", "2018-02-03", "2018-02-04"]
    assert requested(s3_tick(defs, instance, cursor)) == []


@pytest.mark.section(S3_SECTION)
def test_s3_sensor_requests_load_each_object(defs, database, duckdb_path, instance, s3):
    """Running what s3_sensor requests loads each object's rows into its own partition."""
    result = s3_tick(defs, instance, None)
    for request in result.run_requests:
        runs.materialize(
            defs,
            S3_ASSETS,
            resources={"database": database},
            partition_key=request.partition_key,
            instance=instance,
        )
    counts = rows_by_partition(duckdb_path, "raw_s3_partition_data")
    assert counts == {day: source_count(settings.DEFAULT_SOURCE_DIR, day) for day in COURSE_DATES}


# Optional: running by default (lesson 3, Step 3) -------------------------------


def test_the_running_by_default_variants_start_running_and_behave_the_same(
    defs, instance, sensor_folder
):
    from dagster_and_etl.lesson_3 import running_by_default as on

    assert on.import_partition_schedule_on.default_status == dg.DefaultScheduleStatus.RUNNING
    assert on.dynamic_sensor_on.default_status == dg.DefaultSensorStatus.RUNNING
    # The lesson's own start stopped, and the variants are not in its code location.
    assert defs.resolve_sensor_def("dynamic_sensor").default_status == (
        dg.DefaultSensorStatus.STOPPED
    )
    assert "dynamic_sensor_on" not in {sensor.name for sensor in defs.sensors or []}
    context = dg.build_sensor_context(instance=instance, cursor=None, definitions=defs)
    assert requested(on.dynamic_sensor_on(context)) == list(COURSE_DATES)
