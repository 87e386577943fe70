import dagster as dg  # noqa: F401

from .jobs import orders_refresh_job, postgres_refresh_job  # noqa: F401

# TODO ("Step 6: jobs and schedules"): run postgres_refresh_job at 06:00 and
# orders_refresh_job at 12:00 and 18:00, every day.
