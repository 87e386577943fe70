import dagster as dg  # noqa: F401

from .jobs import import_partition_job  # noqa: F401

# TODO ("Step 3: a job and a schedule"): build `import_partition_schedule` from
# import_partition_job so that each night's run loads the day that just ended.
