import datetime as dt

import dagster as dg
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.pipeline.exceptions import PipelineStepFailed

from dagster_and_etl.course.dlt_pipelines import course_pipeline

# import_file, with its run config, is lesson 2's asset unchanged. Importing it here
# puts it in this code location, upstream of dlt_csv_assets.
from dagster_and_etl.lesson_2.defs.assets import import_file
from dagster_and_etl.lesson_4.defs.assets import NasaDate, nasa_partition
from dagster_and_etl.lesson_4.defs.resources import NASAResource
from dagster_and_etl.lesson_5.sources import csv_source, nasa_neo_source, simple_source

# Every asset here writes to the one DuckDB file, which takes one writer at a
# time: the "duckdb" pool (limit 1 in dagster.yaml) runs them one after another.
DUCKDB_POOL = "duckdb"


def simple_pipeline():
    return course_pipeline("simple_pipeline", dataset_name="simple")


@dlt_assets(
    dlt_source=simple_source(),
    dlt_pipeline=simple_pipeline(),
    name="dlt_simple_assets",
    pool=DUCKDB_POOL,
)
def dlt_simple_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
    # A fresh source and pipeline for every run: a dlt source is used up once it
    # has been extracted, and the pipeline reads the settings when it is made.
    yield from dlt.run(context=context, dlt_source=simple_source(), dlt_pipeline=simple_pipeline())


class CsvTranslator(DagsterDltTranslator):
    """Makes the dlt asset depend on import_file, the asset that picks the file."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        return super().get_asset_spec(data).replace_attributes(deps=[import_file.key])


def csv_pipeline():
    return course_pipeline("csv_pipeline", dataset_name="csv_data")


@dlt_assets(
    dlt_source=csv_source(),
    dlt_pipeline=csv_pipeline(),
    name="dlt_csv_assets",
    dagster_dlt_translator=CsvTranslator(),
    pool=DUCKDB_POOL,
)
def dlt_csv_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource, import_file: str):
    yield from dlt.run(
        context=context, dlt_source=csv_source(import_file), dlt_pipeline=csv_pipeline()
    )


def _failure_inside(error: BaseException | None) -> dg.Failure | None:
    while error is not None and not isinstance(error, dg.Failure):
        error = error.__cause__ or error.__context__
    return error


def load_asteroids(
    context: dg.AssetExecutionContext, nasa: NASAResource, day: str, table_name: str
) -> dg.MaterializeResult:
    """Run the NeoWs source for one day through dlt, inside a plain asset."""

    def fetch_day(day: str) -> list[dict]:
        return nasa.get_near_earth_asteroids(start_date=day, end_date=day).get(day, [])

    pipeline = course_pipeline("nasa_neo_pipeline", dataset_name="nasa_neo")
    try:
        load_info = pipeline.run(nasa_neo_source(fetch_day, [day], table_name=table_name))
    except PipelineStepFailed as error:
        # dlt wraps what the source raised in its own exceptions; re-raise the
        # resource's dg.Failure so the run shows the API's message, not dlt's.
        raise _failure_inside(error) or error from error
    rows = pipeline.last_trace.last_normalize_info.row_counts.get(table_name, 0)
    context.log.info(str(load_info))
    return dg.MaterializeResult(
        metadata={"day": day, "rows_loaded": rows, "load_id": load_info.loads_ids[-1]}
    )


@dg.asset(kinds={"dlt", "duckdb"}, pool=DUCKDB_POOL)
def dlt_nasa(context: dg.AssetExecutionContext, config: NasaDate, nasa: NASAResource):
    """The day before the configured date, loaded through dlt into nasa_neo.asteroids."""
    day = (dt.date.fromisoformat(config.date) - dt.timedelta(days=1)).isoformat()
    return load_asteroids(context, nasa, day, table_name="asteroids")


@dg.asset(
    partitions_def=nasa_partition,
    automation_condition=dg.AutomationCondition.on_cron("@daily"),
    kinds={"dlt", "duckdb"},
    pool=DUCKDB_POOL,
)
def dlt_nasa_partition(context: dg.AssetExecutionContext, nasa: NASAResource):
    """One day per partition through dlt into nasa_neo.asteroids_by_day, for backfills."""
    return load_asteroids(context, nasa, context.partition_key, table_name="asteroids_by_day")
