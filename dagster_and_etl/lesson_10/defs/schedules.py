import dagster as dg

from .assets import table_row_counts

# A run that takes longer than this is a stuck run: run monitoring (dagster.yaml)
# fails it, and the failure alert says so. It overrides the instance's default.
row_counts_job = dg.define_asset_job(
    "row_counts_job", selection=[table_row_counts], tags={"dagster/max_runtime": "300"}
)

# Every minute, so that you can watch the daemon tick during the lesson. A few
# COUNT(*) queries cost little; in production, once an hour is plenty.
row_counts_schedule = dg.ScheduleDefinition(
    name="row_counts_schedule", job=row_counts_job, cron_schedule="* * * * *"
)
