import dagster as dg
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from dagster_and_etl.course.dlt_pipelines import course_pipeline
from dagster_and_etl.course.workspace import todo

# Given: lesson 2's import_file (with its run config) and lesson 4's date config,
# partitions and resource, imported from their completed code. Importing
# import_file puts it in this code location, upstream of dlt_csv_assets.
from dagster_and_etl.lesson_2.defs.assets import import_file  # noqa: F401 (Step 4 uses it)
from dagster_and_etl.lesson_4.defs.assets import NasaDate, nasa_partition
from dagster_and_etl.lesson_4.defs.resources import NASAResource

from .sources import csv_source, simple_source

DUCKDB_POOL = "duckdb"


@dlt_assets(
    dlt_source=simple_source(),
    dlt_pipeline=course_pipeline("simple_pipeline", dataset_name="simple"),
    name="dlt_simple_assets",
    pool=DUCKDB_POOL,
)
def dlt_simple_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
    # TODO: run a fresh simple_source() through a fresh pipeline with `dlt`.
    raise todo(5, "dlt_simple_assets", "Step 2: dlt assets in Dagster")


class CsvTranslator(DagsterDltTranslator):
    """Makes the dlt asset depend on import_file, the asset that picks the file."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        # TODO ("Step 4: the translator"): add import_file to the spec's deps.
        return super().get_asset_spec(data)


@dlt_assets(
    dlt_source=csv_source(),
    dlt_pipeline=course_pipeline("csv_pipeline", dataset_name="csv_data"),
    name="dlt_csv_assets",
    dagster_dlt_translator=CsvTranslator(),
    pool=DUCKDB_POOL,
)
def dlt_csv_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
    raise todo(5, "dlt_csv_assets", "Step 3: the CSV pipeline on dlt")


@dg.asset(kinds={"dlt", "duckdb"}, pool=DUCKDB_POOL)
def dlt_nasa(context: dg.AssetExecutionContext, config: NasaDate, nasa: NASAResource):
    """The day before the configured date, loaded through dlt into nasa_neo.asteroids."""
    raise todo(5, "dlt_nasa", "Step 5: the NASA pipeline on dlt")


@dg.asset(partitions_def=nasa_partition, kinds={"dlt", "duckdb"}, pool=DUCKDB_POOL)
def dlt_nasa_partition(context: dg.AssetExecutionContext, nasa: NASAResource):
    """One day per partition through dlt into nasa_neo.asteroids_by_day, for backfills."""
    # TODO: also give it an automation condition that runs it daily.
    raise todo(5, "dlt_nasa_partition", "Step 5: the NASA pipeline on dlt")
