import dagster as dg

from .jobs import import_partition_job

# The job's partitions are daily, so the schedule runs once a day, just after
# midnight, for the day that has just ended. minute_of_hour leaves a buffer for
# files that land a little late.
import_partition_schedule = dg.build_schedule_from_partitioned_job(
    import_partition_job, minute_of_hour=15
)
