"""Lesson 3: daily and dynamic partitions, a schedule, a sensor and a backfill, checked on data."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_and_etl.course import runs, settings, warehouse
from dagster_and_etl.course.source_files import COURSE_DATES, generate_file
from dagster_and_etl_tests.conftest import read_source_rows, source_table_rows, typed_source_rows

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


def table_rows(duckdb_path: Path, table: str = "raw_partition_data") -> list[tuple]:
    return source_table_rows(duckdb_path, table)


file_rows = typed_source_rows  # a source file's rows, typed as the table holds them


# Daily partitions ------------------------------------------------------------


@pytest.mark.section("Step 1: daily partitions")
def test_daily_partitions_are_exactly_the_days_with_files(defs):
    """one daily partition per source file, 2018-01-22 to 2018-01-24."""
    job = defs.resolve_job_def("import_partition_job")
    keys = job.partitions_def.get_partition_keys()
    assert keys == list(COURSE_DATES), (
        f"import_partition_job has the partitions {keys}, not one per source file"
    )


@pytest.mark.section("Step 2: loading one partition")
@pytest.mark.parametrize("day", COURSE_DATES)
def test_each_partition_loads_exactly_its_files_rows(defs, database, duckdb_path, day):
    """each partition loads exactly its file's rows, with the partition's metadata."""
    result = load_day(defs, database, day)
    counts = rows_by_partition(duckdb_path)
    wanted = source_count(settings.DEFAULT_SOURCE_DIR, day)
    assert counts == {day: wanted}, (
        f"raw_partition_data holds {counts} rows by date after loading {day}, not {wanted} of {day}"
    )
    [materialization] = result.asset_materializations_for_node("duckdb_partition_table")
    assert materialization.partition == day
    reported = materialization.metadata["dagster/row_count"].value
    assert reported == wanted, f"dagster/row_count says {reported}; the partition holds {wanted}"
    prices = warehouse.fetch(
        "select share_price from raw_partition_data order by share_price", database=duckdb_path
    )
    expected = sorted(
        float(row["share_price"])
        for row in read_source_rows(settings.DEFAULT_SOURCE_DIR / f"{day}.csv")
    )
    assert [price for (price,) in prices] == expected


@pytest.mark.section("Step 2: loading one partition")
def test_all_partitions_give_the_sum_and_a_rerun_changes_nothing(defs, database, duckdb_path):
    """the partitions hold the sum of the files, and a re-run changes nothing."""
    for day in COURSE_DATES:
        load_day(defs, database, day)
    expected = {day: source_count(settings.DEFAULT_SOURCE_DIR, day) for day in COURSE_DATES}
    assert rows_by_partition(duckdb_path) == expected

    before = table_rows(duckdb_path)
    load_day(defs, database, COURSE_DATES[1])
    after = table_rows(duckdb_path)
    assert after == before, (
        f"raw_partition_data holds {len(after)} rows after re-running {COURSE_DATES[1]}, "
        f"not the {len(before)} it held: a re-run must replace its partition's rows"
    )


@pytest.mark.section("Step 2: loading one partition")
def test_a_rerun_replaces_only_its_partition(defs, database, duckdb_path, source_dir):
    """a re-run with a corrected file replaces that partition's rows and no other."""
    for day in COURSE_DATES:
        load_day(defs, database, day)
    # A corrected file for the 23rd with fewer rows replaces that day, and only it.
    generate_file("2018-01-23", source_dir, rows=4)
    load_day(defs, database, "2018-01-23")
    counts = rows_by_partition(duckdb_path)
    wanted = {
        "2018-01-22": source_count(source_dir, "2018-01-22"),
        "2018-01-23": 4,
        "2018-01-24": source_count(source_dir, "2018-01-24"),
    }
    assert counts == wanted, (
        f"rows by date are {counts} after re-running 2018-01-23 with a 4-row file, not {wanted}"
    )


@pytest.mark.section("Step 2: loading one partition")
def test_a_failed_load_keeps_the_partitions_previous_rows(defs, database, duckdb_path, source_dir):
    """a load that fails leaves the partition's previous rows in place."""
    load_day(defs, database, "2018-01-22")
    before = table_rows(duckdb_path)

    path = source_dir / "2018-01-22.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[1], "not-a-price", 1)
    path.write_text("\n".join(lines) + "\n")

    result = load_day(defs, database, "2018-01-22", raise_on_error=False)
    assert not result.success, "a file with a word for a share price loaded without an error"
    error = result.failure_data_for_node("duckdb_partition_table").error.to_string()
    assert "2018-01-22" in error, f"the error does not name the partition: {error.splitlines()[0]}"
    after = table_rows(duckdb_path)
    assert after == before, (
        f"raw_partition_data holds {len(after)} rows after a failed load, not the {len(before)} "
        "it held: delete and insert belong in one transaction"
    )


@pytest.mark.section("Step 2: loading one partition")
def test_a_partition_whose_file_holds_another_date_reruns_cleanly(
    defs, database, duckdb_path, source_dir
):
    """a re-run replaces the rows its partition loaded, even rows dated another day."""
    # Late data: the file for the 23rd also carries a row dated the 22nd.
    path = source_dir / "2018-01-23.csv"
    lines = path.read_text().splitlines()
    late = lines[1].split(",")
    late[0] = "2018-01-22"
    path.write_text("\n".join([*lines, ",".join(late)]) + "\n")
    wanted = sorted(row for day in COURSE_DATES for row in file_rows(source_dir / f"{day}.csv"))

    for day in COURSE_DATES:
        load_day(defs, database, day)
    for day in ["2018-01-23", "2018-01-22", "2018-01-23"]:
        load_day(defs, database, day)
        rows = table_rows(duckdb_path)
        assert rows == wanted, (
            f"raw_partition_data holds {len(rows)} rows after re-running {day}, not the "
            f"{len(wanted)} of the three files: replace the rows the partition loaded, "
            "not the rows dated that day"
        )


# Schedule --------------------------------------------------------------------


def partition_schedule(defs: dg.Definitions) -> dg.ScheduleDefinition:
    resolved = [defs.resolve_schedule_def(s.name) for s in defs.schedules or []]
    schedules = [s for s in resolved if s.job_name == "import_partition_job"]
    assert len(schedules) == 1, (
        f"expected one schedule on import_partition_job ({PAGE}, 'Step 3: a job and a schedule')"
    )
    return schedules[0]


@pytest.mark.section("Step 3: a job and a schedule")
@pytest.mark.parametrize(
    ("tick", "expected_partition"),
    [
        (dt.datetime(2018, 1, 23, 0, 15, tzinfo=dt.timezone.utc), "2018-01-22"),
        (dt.datetime(2018, 1, 24, 0, 15, tzinfo=dt.timezone.utc), "2018-01-23"),
        (dt.datetime(2018, 1, 25, 0, 15, tzinfo=dt.timezone.utc), "2018-01-24"),
    ],
)
def test_the_schedule_requests_the_day_that_just_ended(defs, tick, expected_partition):
    """the schedule requests the partition of the day that has just ended."""
    schedule = partition_schedule(defs)
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == expected_partition, (
        f"the tick at {tick:%Y-%m-%d %H:%M} requests {request.partition_key}, "
        f"not {expected_partition}, the day that just ended"
    )


@pytest.mark.section("Step 3: a job and a schedule")
def test_the_schedule_runs_daily_after_midnight(defs):
    """the schedule runs once a day, just after midnight."""
    schedule = partition_schedule(defs)
    minute, hour, *_ = schedule.cron_schedule.split()
    assert hour == "0" and minute.isdigit(), (
        f"the schedule's cron is {schedule.cron_schedule!r}, not once a day just after midnight"
    )


# Backfill --------------------------------------------------------------------


@pytest.mark.section("Step 6: backfills")
def test_a_backfill_of_every_day_loads_each_day_once(defs, database, duckdb_path, instance):
    """a backfill of every day loads each day's rows once."""
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


@pytest.mark.section("Step 4: dynamic partitions")
def test_dynamic_assets_load_a_partition_added_through_the_instance(
    defs, database, duckdb_path, instance
):
    """a dynamic partition added through the instance loads its file's rows."""
    instance.add_dynamic_partitions("dynamic_partition", ["2018-01-23"])
    runs.materialize(
        defs,
        DYNAMIC,
        resources={"database": database},
        partition_key="2018-01-23",
        instance=instance,
    )
    counts = rows_by_partition(duckdb_path, "raw_dynamic_partition_data")
    wanted = {"2018-01-23": source_count(settings.DEFAULT_SOURCE_DIR, "2018-01-23")}
    assert counts == wanted, f"raw_dynamic_partition_data holds {counts} rows by date, not {wanted}"


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


@pytest.mark.section("Step 5: a sensor for new files")
def test_sensor_first_tick_requests_each_file_and_adds_its_partition(defs, instance, sensor_folder):
    """the sensor's first tick requests each file once and adds its partition."""
    result = tick(defs, instance, None)
    assert requested(result) == list(COURSE_DATES), (
        f"the first tick requests {requested(result)}, not one run per file {list(COURSE_DATES)}"
    )
    partitions = sorted(instance.get_dynamic_partitions("dynamic_partition"))
    assert partitions == list(COURSE_DATES), (
        f"after the first tick the dynamic partitions are {partitions}, not one per file"
    )
    assert len({request.run_key for request in result.run_requests}) == 3, (
        "the first tick's run requests do not have three different run keys"
    )
    assert result.cursor, "the sensor keeps no cursor, so every tick would request every file"


@pytest.mark.section("Step 5: a sensor for new files")
def test_sensor_quiet_tick_touched_file_and_new_file(defs, instance, sensor_folder):
    """the sensor requests nothing on a quiet tick, then only a changed or a new file."""
    first = tick(defs, instance, None)

    quiet = tick(defs, instance, first.cursor)
    assert requested(quiet) == [], f"a quiet tick requests {requested(quiet)}; nothing changed"

    age(sensor_folder / "2018-01-23.csv", 120)  # touched: a new modification time
    touched = tick(defs, instance, quiet.cursor)
    assert requested(touched) == ["2018-01-23"], (
        f"after 2018-01-23.csv changed, the tick requests {requested(touched)}, not that file alone"
    )
    [old_key] = [r.run_key for r in first.run_requests if r.partition_key == "2018-01-23"]
    assert touched.run_requests[0].run_key != old_key, (
        f"the changed file's run key {old_key!r} is the one already used, so Dagster would skip "
        "the run: the run key must change with the file"
    )

    # The cursor still holds every file, not just the one that changed.
    after_touch = tick(defs, instance, touched.cursor)
    assert requested(after_touch) == [], (
        f"the tick after a changed file requests {requested(after_touch)} again: "
        "the cursor must keep every file seen, not only this tick's"
    )

    age(generate_file("2018-01-25", sensor_folder), 60)
    added = tick(defs, instance, after_touch.cursor)
    assert requested(added) == ["2018-01-25"], (
        f"after a new file, the tick requests {requested(added)}, not 2018-01-25 alone"
    )
    assert "2018-01-25" in instance.get_dynamic_partitions("dynamic_partition"), (
        "the new file's partition 2018-01-25 was not added"
    )

    again = requested(tick(defs, instance, added.cursor))
    assert again == [], f"the tick after the new file requests {again} again"


@pytest.mark.section("Step 5: a sensor for new files")
def test_sensor_ignores_other_files_and_files_still_being_written(defs, instance, sensor_folder):
    """the sensor skips other files and files still being written, until they settle."""
    first = tick(defs, instance, None)
    age(
        sensor_folder.joinpath("notes.txt").write_text("not data") and sensor_folder / "notes.txt",
        60,
    )
    fresh = generate_file("2018-01-26", sensor_folder)  # modified just now

    result = tick(defs, instance, first.cursor)
    assert requested(result) == [], (
        f"the tick requests {requested(result)}: a .txt file or a file modified just now "
        "(still being written) must wait"
    )

    age(fresh, 60)  # settled
    settled = requested(tick(defs, instance, result.cursor))
    assert settled == ["2018-01-26"], (
        f"once settled, the tick requests {settled}, not the file that was being written"
    )


@pytest.mark.section("Step 5: a sensor for new files")
def test_sensor_limits_runs_per_tick_and_continues(defs, instance, sensor_folder):
    """the sensor requests at most five runs a tick and the rest on later ticks."""
    for day in range(1, 8):
        age(generate_file(f"2018-02-{day:02d}", sensor_folder), 60)  # 3 + 7 = 10 files
    limit = 5

    seen = []
    cursor = None
    for number in range(1, 4):
        result = tick(defs, instance, cursor)
        count = len(result.run_requests or [])
        assert count <= limit, f"tick {number} requests {count} runs, more than {limit}"
        seen += requested(result)
        cursor = result.cursor
    assert sorted(set(seen)) == sorted(seen) and len(seen) == 10, (
        f"three ticks request {len(seen)} runs for {len(set(seen))} of the 10 files; "
        "each file once, the rest on later ticks"
    )
    last = requested(tick(defs, instance, cursor))
    assert last == [], f"a fourth tick requests {last} again"


@pytest.mark.section("Step 5: a sensor for new files")
def test_sensor_requests_load_the_file(defs, database, duckdb_path, instance, sensor_folder):
    """the sensor's requests load each file's rows."""
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
    wanted = {day: source_count(sensor_folder, day) for day in COURSE_DATES}
    assert counts == wanted, f"raw_dynamic_partition_data holds {counts} rows by date, not {wanted}"


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


@pytest.mark.solution_only
@pytest.mark.section(S3_SECTION)
def test_s3_sensor_says_when_the_bucket_does_not_exist(defs, instance, s3, monkeypatch):
    """A COURSE_S3_BUCKET that does not exist fails the tick in words (the course kit's
    s3_errors), not with boto3's NoSuchBucket traceback."""
    monkeypatch.setenv("COURSE_S3_BUCKET", "no-such-bucket")
    with pytest.raises(dg.Failure) as failure:
        s3_tick(defs, instance, None)
    assert failure.value.description.startswith("There is no bucket 'no-such-bucket' at ")
    assert "COURSE_S3_BUCKET" in failure.value.description
    assert "course s3 start" in failure.value.description


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


@pytest.mark.section("Step 3: a job and a schedule")
def test_the_running_by_default_variants_start_running_and_behave_the_same(
    defs, instance, sensor_folder
):
    """the running-by-default schedule and sensor start running and request what the others do."""
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
