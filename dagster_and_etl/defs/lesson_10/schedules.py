import dagster as dg

from .assets import table_row_counts

# TODO ("Step 4: A schedule that runs every minute"): a run of this job that
# takes longer than 300 seconds is stuck; say so with the dagster/max_runtime tag.
row_counts_job = dg.define_asset_job("row_counts_job", selection=[table_row_counts])

# TODO ("Step 4: A schedule that runs every minute"): `row_counts_schedule`, which
# runs row_counts_job every minute.
