from dagster_dbt import build_schedule_from_dbt_selection

from .assets import dbt_models

# Every dbt node (fqn:*) at 07:00 UTC, an hour after lesson 6 refreshes the copies.
dbt_build_schedule = build_schedule_from_dbt_selection(
    [dbt_models],
    job_name="dbt_build_job",
    schedule_name="dbt_build_schedule",
    cron_schedule="0 7 * * *",
    dbt_select="fqn:*",
    execution_timezone="UTC",
)
