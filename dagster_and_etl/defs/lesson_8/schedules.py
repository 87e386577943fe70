import dagster as dg  # noqa: F401

from .assets import joined_data  # noqa: F401

# TODO ("Step 4: jobs next to their schedules"): weekly_update_job (joined_data
# and everything upstream of it) and weekly_update_schedule, Mondays at 00:00.
