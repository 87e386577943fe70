import datetime as dt

import dagster as dg

from dagster_and_etl.course import settings


def alerts_file():
    """Where failure alerts go: alerts.log in the staging folder (COURSE_STAGING_DIR)."""
    return settings.staging_dir() / "alerts.log"


# RUNNING by default: an alert you must remember to switch on is not an alert.
# It watches every code location of the deployment, not only this lesson's.
@dg.run_failure_sensor(
    monitor_all_code_locations=True,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    """Writes one line to data/staging/alerts.log for every run that fails, in any lesson."""
    run = context.dagster_run
    error = context.failure_event.message or "no message"
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    line = f"{when}  FAILED  {run.job_name}  run {run.run_id}  {' '.join(error.split())}"
    path = alerts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    context.log.info(f"Alert written to {path}")
