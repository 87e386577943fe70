from dagster_dbt import build_schedule_from_dbt_selection  # noqa: F401

from .assets import dbt_models  # noqa: F401

# TODO ("Step 6: schedules and jobs from dbt selections"): build every dbt node
# (fqn:*) at 07:00 UTC each day, in a job named dbt_build_job.
