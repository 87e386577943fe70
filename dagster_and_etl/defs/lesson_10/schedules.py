import dagster as dg  # noqa: F401

from .assets import table_row_counts  # noqa: F401

# TODO ("Step 4: A schedule that runs every minute"): define `row_counts_job`,
# which materializes table_row_counts and may run for at most 300 seconds (the
# dagster/max_runtime tag), and `row_counts_schedule`, which runs it every minute.
