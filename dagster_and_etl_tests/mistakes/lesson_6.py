"""Lesson 6: Sling replicates Postgres into DuckDB."""

from dagster_and_etl_tests.mistakes import Edit, alternative, mistake

RESOURCES = "dagster_and_etl/lesson_6/defs/resources.py"
REPLICATION = "dagster_and_etl/lesson_6/defs/sling_replication.yaml"
ASSETS = "dagster_and_etl/lesson_6/defs/assets.py"
SCHEDULES = "dagster_and_etl/lesson_6/defs/schedules.py"
STEP_2 = "Step 2: Sling connections as resources"
STEP_3 = "Step 3: the replication file"
STEP_4 = "Step 4: Sling assets"
STEP_6 = "Step 6: jobs and schedules"

MISTAKES = [
    mistake(
        6, "password_written_into_resources",
        "the Postgres password is written into resources.py instead of read from "
        "POSTGRES_PASSWORD",
        STEP_2,
        Edit(RESOURCES, 'password=dg.EnvVar("POSTGRES_PASSWORD")', 'password="test_pass"'),
    ),
    mistake(
        6, "connection_string_with_the_password",
        "the Postgres connection is one literal URL with the password in it",
        STEP_2,
        Edit(RESOURCES,
             '        host=dg.EnvVar("POSTGRES_HOST"),\n'
             '        port=dg.EnvVar("POSTGRES_PORT"),\n'
             '        database=dg.EnvVar("POSTGRES_DB"),\n'
             '        user=dg.EnvVar("POSTGRES_USER"),\n'
             '        password=dg.EnvVar("POSTGRES_PASSWORD"),\n',
             '        connection_string="postgresql://test_user:test_pass@localhost:5432/test_db",\n'),
    ),
    mistake(
        6, "incremental_stream_without_primary_key",
        "the incremental orders stream has no primary_key, so a changed order is appended "
        "a second time instead of upserted",
        STEP_3,
        Edit(REPLICATION, "    primary_key: [order_id]\n", ""),
    ),
    mistake(
        6, "orders_copied_in_full",
        "orders are copied in full every run instead of incrementally by order_date",
        STEP_3,
        Edit(REPLICATION, "    mode: incremental\n", "    mode: full-refresh\n"),
    ),
    mistake(
        6, "replication_outside_the_pool",
        "the Sling step writes to DuckDB outside the duckdb pool",
        STEP_4,
        Edit(ASSETS, '@sling_assets(replication_config=REPLICATION, pool="duckdb")',
             "@sling_assets(replication_config=REPLICATION)"),
    ),
    mistake(
        6, "no_reachability_check",
        "the Sling step does not check Postgres first, so Sling starts against a stopped "
        "server and the failure is Sling's error, not the check's",
        STEP_4,
        Edit(ASSETS,
             "    require_reachable(next(c for c in sling.connections",
             "    (next(c for c in sling.connections"),
    ),
]  # fmt: skip

ALTERNATIVES = [
    alternative(
        6, "connection_fields_in_another_order",
        "the connection's fields in another order, and revenue_by_category built from a CTE",
        Edit(RESOURCES,
             '        host=dg.EnvVar("POSTGRES_HOST"),\n'
             '        port=dg.EnvVar("POSTGRES_PORT"),\n',
             '        port=dg.EnvVar("POSTGRES_PORT"),\n'
             '        host=dg.EnvVar("POSTGRES_HOST"),\n'),
        Edit(ASSETS, "create or replace table revenue_by_category as\n",
             "create or replace table revenue_by_category as\n"
             "            with d as (select * from order_details)\n"),
        Edit(ASSETS, "            from order_details\n            group by all",
             "            from d\n            group by all"),
    ),
]  # fmt: skip
