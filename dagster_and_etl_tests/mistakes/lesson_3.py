"""Lesson 3: partitions, a schedule, a sensor and backfills."""

from dagster_and_etl_tests.mistakes import Edit, alternative, mistake

ASSETS = "dagster_and_etl/lesson_3/defs/assets.py"
SENSORS = "dagster_and_etl/lesson_3/defs/sensors.py"
PARTITIONS = "dagster_and_etl/lesson_3/defs/partitions.py"
SCHEDULES = "dagster_and_etl/lesson_3/defs/schedules.py"
STEP_1 = "Step 1: daily partitions"
STEP_2 = "Step 2: loading one partition"
STEP_3 = "Step 3: a job and a schedule"
STEP_5 = "Step 5: a sensor for new files"
STEP_7 = "Step 7: a sensor on object storage"
S3_SENSORS = "dagster_and_etl/lesson_3/defs/s3_sensors.py"
S3_ASSETS = "dagster_and_etl/lesson_3/defs/s3_assets.py"
DELETE = 'conn.execute(f"delete from {table} where partition_key = ?", [partition_key])'

MISTAKES = [
    mistake(
        3, "rerun_deletes_by_date",
        "a re-run deletes `where date = <partition key>`: rows the file carries for another "
        "day are duplicated, and another partition's rows of that day are lost",
        STEP_2,
        Edit(ASSETS, DELETE,
             'conn.execute(f"delete from {table} where date = ?::date", [partition_key])'),
    ),
    mistake(
        3, "lesson_2_helper_without_partition_key",
        "lesson 2's replace-by-date delete reused: a re-run deletes every row of the dates "
        "in its file, including rows another partition loaded",
        STEP_2,
        Edit(ASSETS, DELETE,
             'conn.execute(f"delete from {table} where date in (select date from staged)")'),
    ),
    mistake(
        3, "delete_before_the_file_parses_outside_a_transaction",
        "the partition's rows are deleted first and the file inserted after, outside a "
        "transaction: a file that fails to parse leaves the partition empty",
        STEP_2,
        Edit(ASSETS,
             '    with transaction(conn, f"load {file_path} into {table} for partition '
             '{partition_key}"):\n',
             f"    {DELETE}\n"
             '    if True:\n'),
    ),
    mistake(
        3, "end_date_taken_as_inclusive",
        "end_date is exclusive: ending the daily partitions on 2018-01-24 drops the last day",
        STEP_1,
        Edit(PARTITIONS, 'end_date="2018-01-25"', 'end_date="2018-01-24"'),
    ),
    mistake(
        3, "schedule_at_midnight_of_the_wrong_hour",
        "the schedule runs at 06:15 instead of just after midnight",
        STEP_3,
        Edit(SCHEDULES, "minute_of_hour=15", "minute_of_hour=15, hour_of_day=6"),
    ),
    mistake(
        3, "cursor_keeps_only_this_ticks_files",
        "the cursor keeps only the files requested this tick, so the next tick requests "
        "every other file again",
        STEP_5,
        Edit(SENSORS,
             "cursor = {name: loaded[name] for name in sorted(present) if name in loaded}",
             "cursor = {path.name: modified for path, modified in ready[:MAX_RUNS_PER_TICK]}"),
    ),
    mistake(
        3, "run_key_without_the_modification_time",
        "the run key is the file name alone, so a changed file's run is skipped as a duplicate",
        STEP_5,
        Edit(SENSORS, 'run_key=f"{path.name}:{modified}"', "run_key=path.name"),
    ),
    mistake(
        3, "no_settle_time",
        "no settle rule: a file still being written is requested at once",
        STEP_5,
        Edit(SENSORS, "SETTLE_SECONDS = 10", "SETTLE_SECONDS = 0"),
    ),
    mistake(
        3, "no_cap_per_tick",
        "no cap on runs per tick: a folder of old files floods the queue",
        STEP_5,
        Edit(SENSORS, "ready[:MAX_RUNS_PER_TICK]", "ready"),
    ),
    mistake(
        3, "cursor_marks_files_it_did_not_request",
        "the cursor records every file present, so files over the cap or still being written "
        "are never requested",
        STEP_5,
        Edit(SENSORS,
             "cursor = {name: loaded[name] for name in sorted(present) if name in loaded}",
             "cursor = present"),
    ),
    mistake(
        3, "s3_cursor_forgets_objects",
        "the object-store sensor's cursor keeps only the objects requested this tick, so "
        "every other object is requested again on the next tick",
        STEP_7,
        Edit(S3_SENSORS,
             "    cursor = {name: loaded[name] for name in sorted(present) if name in loaded}",
             "    cursor = {name: etag for name, etag in changed[:MAX_RUNS_PER_TICK]}"),
    ),
    mistake(
        3, "s3_listing_reads_first_page_only",
        "the object-store sensor reads only the first page of the listing, so objects past "
        "it are never seen",
        STEP_7,
        Edit(S3_SENSORS, "    for page in pages:", "    for page in list(pages)[:1]:"),
    ),
]  # fmt: skip

ALTERNATIVES = [
    alternative(
        3, "own_helper_load_id_and_list_cursor",
        "another helper name, the partition kept in a column named load_partition with a "
        "loaded_at column, and a sensor cursor kept as a list of [name, mtime] pairs",
        Edit(ASSETS, "replace_partition(", "swap_partition_rows(", count=2),
        Edit(ASSETS, '{"partition_key": "VARCHAR"}',
             '{"load_partition": "VARCHAR", "loaded_at": "TIMESTAMP"}'),
        Edit(ASSETS, "select *, ? as partition_key ", "select *, ? as load_partition, now() "),
        Edit(ASSETS, "where partition_key = ?", "where load_partition = ?", count=2),
        Edit(ASSETS, 'where="partition_key = ?"', 'where="load_partition = ?"'),
        Edit(S3_ASSETS, "replace_partition", "swap_partition_rows", count=2),
        Edit(S3_ASSETS, 'where="partition_key = ?"', 'where="load_partition = ?"'),
        Edit(SENSORS,
             "json.loads(context.cursor) if context.cursor else {}",
             "dict(json.loads(context.cursor)) if context.cursor else {}"),
        Edit(SENSORS,
             "cursor = {name: loaded[name] for name in sorted(present) if name in loaded}",
             "cursor = [[name, loaded[name]] for name in sorted(present) if name in loaded]"),
    ),
]  # fmt: skip
