import dagster as dg  # noqa: F401

from .jobs import asteroid_job  # noqa: F401

# TODO ("Step 4: a job and a schedule"): write `date_range_schedule`, running
# asteroid_job at 06:00 every day with the run config for that day's date.
