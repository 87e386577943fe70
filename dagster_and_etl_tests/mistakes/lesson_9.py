"""Lesson 9: dbt inside Dagster."""

from dagster_and_etl_tests.mistakes import Edit, alternative, mistake

PROJECT = "dagster_and_etl/lesson_9/defs/dbt_project"
FCT_ORDERS = f"{PROJECT}/models/marts/fct_orders.sql"
STAGING = f"{PROJECT}/models/staging/_staging.yml"
PROFILES = f"{PROJECT}/profiles.yml"

MISTAKES = [
    mistake(
        9, "incremental_model_without_unique_key",
        "fct_orders is incremental but has no unique_key: dbt appends, and the orders of the "
        "latest timestamp, read again by the `>=` filter, are duplicated on every run",
        "Incremental models",
        Edit(FCT_ORDERS,
             '        unique_key="order_id",\n        incremental_strategy="delete+insert",\n',
             ""),
    ),
    mistake(
        9, "no_relationships_test_on_orders",
        "stg_orders.customer_id has no relationships test: an order of an unknown customer "
        "goes into the marts unnoticed, since the copy has no foreign key",
        "Step 5: dbt tests as asset checks",
        Edit(STAGING,
             """          - not_null
          # Every order belongs to a known customer. Postgres enforces this with
          # a foreign key, but a copy has no such guarantee: check it here.
          - relationships:
              arguments:
                to: ref('stg_customers')
                field: customer_id
""",
             "          - not_null\n"),
    ),
    mistake(
        9, "profile_with_a_written_path",
        "profiles.yml names the DuckDB file itself instead of env_var('DUCKDB_DATABASE'): "
        "dbt writes to another file than every other lesson and the tests",
        "Step 2: a profile that follows the course settings",
        Edit(PROFILES, "path: \"{{ env_var('DUCKDB_DATABASE') }}\"",
             'path: "../../../../data/staging/data.duckdb"'),
    ),
]  # fmt: skip

ALTERNATIVES = [
    alternative(
        9,
        "incremental_merge_on_order_id",
        "fct_orders upserts by order_id with dbt-duckdb's merge strategy instead of "
        "delete+insert: another strategy, the same rows",
        Edit(FCT_ORDERS, 'incremental_strategy="delete+insert"', 'incremental_strategy="merge"'),
    ),
]
