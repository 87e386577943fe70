"""dlt pipelines for the course: one place that says where they write and keep state."""

import os

import dagster as dg
import dlt

from dagster_and_etl.course import settings

# dlt reports anonymous usage unless told not to; the course runs offline.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def course_pipeline(pipeline_name: str, dataset_name: str, progress=None) -> dlt.Pipeline:
    """A dlt pipeline that loads into the course's DuckDB file (DUCKDB_DATABASE).

    Its state goes to COURSE_DLT_DIR inside the project rather than ~/.dlt, and
    the paths are read now, when the pipeline is made, so call this at run time.
    Progress goes to Dagster's logger, which in a run is the run's event log.
    """
    if progress is None:
        progress = dlt.progress.log(log_period=5.0, logger=dg.get_dagster_logger())
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        pipelines_dir=str(settings.dlt_pipelines_dir()),
        destination=dlt.destinations.duckdb(str(settings.duckdb_database())),
        dataset_name=dataset_name,
        progress=progress,
    )
