import dagster as dg

from dagster_and_etl.course.workspace import todo

from .assets import adhoc_request

adhoc_request_job = dg.define_asset_job("adhoc_request_job", selection=[adhoc_request])


@dg.sensor(job=adhoc_request_job, minimum_interval_seconds=30)
def adhoc_request_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Runs adhoc_request for each new or changed JSON request in data/sales/requests/."""
    raise todo(8, "adhoc_request_sensor", "Step 5: the request sensor")
