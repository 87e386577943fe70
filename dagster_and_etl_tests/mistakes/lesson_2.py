"""Lesson 2: a CSV file into DuckDB, with a blocking check."""

from dagster_and_etl_tests.mistakes import Edit, alternative, mistake

ASSETS = "dagster_and_etl/lesson_2/defs/assets.py"
CHECKS = "dagster_and_etl/lesson_2/defs/checks.py"
RESOURCES = "dagster_and_etl/lesson_2/defs/resources.py"
STEP_1 = "Step 1: the file to import"
STEP_2 = "Step 2: a DuckDB resource"
STEP_4 = "Step 4: a blocking asset check"
STEP_5 = "Step 5: run it twice"
DELETE = 'f"delete from {table} where date in (select date from read_parquet(?))"'
INSERT = 'f"insert into {table} select * from read_parquet(?)"'

MISTAKES = [
    mistake(
        2, "check_lets_an_empty_price_through",
        "the check tests only share_price <= 0, so a missing (NULL) price passes",
        STEP_4,
        Edit(CHECKS, '"where share_price is null or share_price <= 0"', '"where share_price <= 0"'),
    ),
    mistake(
        2, "check_lets_a_zero_price_through",
        "the check tests share_price < 0, so a zero price passes",
        STEP_4,
        Edit(
            CHECKS,
            "share_price is null or share_price <= 0",
            "share_price is null or share_price < 0",
        ),
    ),
    mistake(
        2, "check_does_not_block",
        "the check is not blocking: a failed check still lets duckdb_table load the file",
        STEP_4,
        Edit(CHECKS, "blocking=True", "blocking=False"),
    ),
    mistake(
        2, "load_appends",
        "the load inserts without deleting the file's dates first: a second load doubles the rows",
        STEP_5,
        Edit(ASSETS, f"conn.execute(\n            {DELETE}, [str(parsed)]\n        )", "None"),
    ),
    mistake(
        2, "load_replaces_the_whole_table",
        "the load empties the whole table, so loading one day drops every other day",
        STEP_5,
        Edit(ASSETS, DELETE, 'f"delete from {table}"'),
    ),
    mistake(
        2, "file_path_not_checked",
        "import_file joins the configured name to the folder without checking it stays inside",
        STEP_1,
        Edit(ASSETS, "    file_path = resolve_source_file(config.path)\n",
             "    from dagster_and_etl.course import settings\n\n"
             "    file_path = settings.source_dir() / config.path\n"),
    ),
    mistake(
        2, "duckdb_path_hard_coded",
        "the resource opens a hard-coded relative path instead of the course's DuckDB file",
        STEP_2,
        Edit(RESOURCES, "DuckDBResource(database=str(settings.duckdb_database()))",
             'DuckDBResource(database="data/staging/data.duckdb")'),
    ),
]  # fmt: skip

ALTERNATIVES = [
    alternative(
        2, "own_helper_and_a_loaded_at_column",
        "another helper name, an extra loaded_at column in raw_data, and a delete by a "
        "join on the parsed copy's dates: still one file's dates replaced in one transaction",
        Edit(ASSETS, "replace_rows_from_file", "swap_in_file", count=2),
        Edit(ASSETS, "conn.execute(create_table_sql(table))",
             "conn.execute(create_table_sql(table, {\"loaded_at\": \"TIMESTAMP\"}))"),
        Edit(ASSETS, INSERT,
             'f"insert into {table} select *, now()::timestamp as loaded_at from read_parquet(?)"'),
        Edit(ASSETS, DELETE,
             'f"delete from {table} using (select distinct date from read_parquet(?)) d '
             'where {table}.date = d.date"'),
        Edit("dagster_and_etl/lesson_2/defs/s3_assets.py", "replace_rows_from_file", "swap_in_file",
             count=2),
    ),
]  # fmt: skip
