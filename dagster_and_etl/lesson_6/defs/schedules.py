import dagster as dg

from .jobs import orders_refresh_job, postgres_refresh_job

postgres_refresh_schedule = dg.ScheduleDefinition(
    job=postgres_refresh_job, cron_schedule="0 6 * * *", execution_timezone="UTC"
)

orders_refresh_schedule = dg.ScheduleDefinition(
    job=orders_refresh_job, cron_schedule="0 12,18 * * *", execution_timezone="UTC"
)
