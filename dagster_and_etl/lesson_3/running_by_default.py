"""Optional, not graded: lesson 3's schedule and sensor, deployed already running.

It sits outside defs/, so lesson 3's code location does not load it; lesson 3,
Step 3 quotes it to show `default_status`, and a test checks it.
"""

import dagster as dg

from .defs.jobs import import_dynamic_partition_job, import_partition_job
from .defs.sensors import dynamic_sensor

# Running as soon as the code location loads, with no switch in the UI: right for a
# deployment where schedules are reviewed before they ship. The course leaves its
# own stopped, so that you decide when something starts loading data.
import_partition_schedule_on = dg.build_schedule_from_partitioned_job(
    import_partition_job,
    minute_of_hour=15,
    name="import_partition_schedule_on",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


@dg.sensor(
    job=import_dynamic_partition_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def dynamic_sensor_on(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Lesson 3's dynamic_sensor, running from the start."""
    return dynamic_sensor(context)
