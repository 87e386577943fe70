"""Lesson 4: the NeoWs API through a resource."""

from dagster_and_etl_tests.mistakes import Edit, alternative, mistake

ASSETS = "dagster_and_etl/lesson_4/defs/assets.py"
RESOURCES = "dagster_and_etl/lesson_4/defs/resources.py"
STEP_1 = "Step 1: a resource for the API"
STEP_2 = "Step 2: validating the run's date"
STEP_3 = "Step 3: extract, stage, load"
STEP_5 = "Step 5: partitions for backfills"
STEP_6 = "Step 6: rate limits and retries"

MISTAKES = [
    mistake(
        4, "no_request_timeout",
        "requests.get without a timeout: a server that never answers hangs the run",
        STEP_6,
        Edit(RESOURCES, "requests.get(url, params=params, timeout=self.timeout_seconds)",
             "requests.get(url, params=params)"),
    ),
    mistake(
        4, "client_errors_retried",
        "every failed status is retried, 404 and 400 too, though the same request gets the "
        "same answer",
        STEP_6,
        Edit(RESOURCES, "if response.status_code not in RETRY_STATUSES:",
             "if response.status_code < 400:"),
    ),
    mistake(
        4, "retry_after_ignored",
        "the retry waits its own backoff and ignores the server's Retry-After",
        STEP_6,
        Edit(RESOURCES, "if retry_after and retry_after.isdigit():", "if False:"),
    ),
    mistake(
        4, "date_not_validated",
        "the run's date is not validated, so a bad date fails later with a raw error",
        STEP_2,
        Edit(ASSETS, '    @field_validator("date")\n    @classmethod\n', "    @classmethod\n"),
    ),
    mistake(
        4, "delete_and_insert_outside_the_transaction",
        "the day's delete and insert run outside a transaction: a load that fails after the "
        "delete leaves the day empty",
        STEP_3,
        Edit(ASSETS, '    with transaction(conn, f"load {csv_path} into {table} for {day}"):\n',
             "    if True:\n"),
    ),
    mistake(
        4, "duckdb_pool_dropped",
        "the partitioned table has no duckdb pool: backfill runs write to DuckDB at once",
        STEP_5,
        Edit(ASSETS, '@dg.asset(partitions_def=nasa_partition, kinds={"duckdb"}, pool="duckdb")',
             '@dg.asset(partitions_def=nasa_partition, kinds={"duckdb"})'),
    ),
    mistake(
        4, "api_key_pool_dropped",
        "the partitioned fetch has no pool: a backfill fires every day's request at once",
        STEP_5,
        Edit(ASSETS, '@dg.asset(partitions_def=nasa_partition, kinds={"nasa"}, pool="nasa_api")',
             '@dg.asset(partitions_def=nasa_partition, kinds={"nasa"})'),
    ),
    mistake(
        4, "one_staging_file_for_every_day",
        "every day is staged to the same file, so runs for different days overwrite each other",
        STEP_3,
        Edit(ASSETS, 'settings.staging_dir() / "asteroids" / f"{asteroids.date}.csv"',
             'settings.staging_dir() / "asteroids" / "asteroids.csv"'),
    ),
    mistake(
        4, "api_key_written_into_the_code",
        "the API key is written into resources.py instead of read from NASA_API_KEY",
        STEP_1,
        Edit(RESOURCES, 'api_key=dg.EnvVar("NASA_API_KEY")', 'api_key="COURSE_KEY"'),
    ),
]  # fmt: skip

ALTERNATIVES = [
    alternative(
        4, "own_helpers_and_a_loaded_at_column",
        "other helper names, and raw_asteroid_data with an extra loaded_at column",
        Edit(ASSETS, "write_staging_csv(", "stage_day(", count=3),
        Edit(ASSETS, "load_day(", "swap_day(", count=3),
        Edit(ASSETS, '{"approach_date": "DATE"}',
             '{"approach_date": "DATE", "loaded_at": "TIMESTAMP"}'),
        Edit(ASSETS, "select *, ?::date from", "select *, ?::date, now()::timestamp from"),
    ),
]  # fmt: skip
