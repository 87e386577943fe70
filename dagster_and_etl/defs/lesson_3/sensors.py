import dagster as dg

from dagster_and_etl.course.workspace import todo

from .jobs import import_dynamic_partition_job


@dg.sensor(job=import_dynamic_partition_job, minimum_interval_seconds=30)
def dynamic_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Adds a partition for each CSV file in data/source/ and loads it; again when it changes."""
    # TODO: scan the folder, keep every file seen in the cursor, add partitions
    # for new files and request a run for each new or changed file.
    raise todo(3, "dynamic_sensor", "Step 5: a sensor for new files")
