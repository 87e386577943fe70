import dagster as dg

from .assets.joins import joined_data

# The job lives next to the only schedule that runs it.
weekly_update_job = dg.define_asset_job(
    "weekly_update_job", selection=dg.AssetSelection.assets(joined_data).upstream()
)

# Every Monday at midnight: reload the three sources and rebuild joined_data.
# The analysis assets follow on their own (eager automation).
weekly_update_schedule = dg.ScheduleDefinition(
    job=weekly_update_job, cron_schedule="0 0 * * 1", execution_timezone="UTC"
)
