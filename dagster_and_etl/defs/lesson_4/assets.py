import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_and_etl.course.workspace import todo

from .resources import NASAResource

nasa_partition = dg.DailyPartitionsDefinition(start_date="2025-04-01")


class NasaDate(dg.Config):
    # TODO ("Step 2: validating the run's date"): refuse anything but YYYY-MM-DD.
    date: str = Field(description="The run's date, YYYY-MM-DD; the day before it is loaded")


@dg.asset(kinds={"nasa"})
def asteroids(config: NasaDate, nasa: NASAResource) -> object:
    """The near-Earth objects that passed Earth on the day before the configured date."""
    raise todo(4, "asteroids", "Step 3: extract, stage, load")


@dg.asset(kinds={"csv"})
def asteroids_file(context: dg.AssetExecutionContext, asteroids: object) -> str:
    """The day's asteroids as a staging CSV: id, name, magnitude, hazardous."""
    raise todo(4, "asteroids_file", "Step 3: extract, stage, load")


@dg.asset(kinds={"duckdb"})
def duckdb_asteroid_table(
    database: DuckDBResource, asteroids: object, asteroids_file: str
) -> dg.MaterializeResult:
    """The day's asteroids in raw_asteroid_data, replacing that day's earlier load."""
    raise todo(4, "duckdb_asteroid_table", "Step 3: extract, stage, load")


@dg.asset(partitions_def=nasa_partition, kinds={"nasa"})
def asteroids_partition(context: dg.AssetExecutionContext, nasa: NASAResource) -> object:
    """One day of the feed per partition, for backfills; the key is the day loaded."""
    # TODO: also give this asset a pool, so a backfill cannot flood the API.
    raise todo(4, "asteroids_partition", "Step 5: partitions for backfills")


@dg.asset(partitions_def=nasa_partition, kinds={"duckdb"})
def duckdb_asteroid_partition_table(
    context: dg.AssetExecutionContext, database: DuckDBResource, asteroids_partition: object
) -> dg.MaterializeResult:
    """The partition's day in raw_asteroid_partition_data, staged as CSV, then bulk loaded."""
    raise todo(4, "duckdb_asteroid_partition_table", "Step 5: partitions for backfills")
