import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_and_etl.course.workspace import todo


class IngestionFileConfig(dg.Config):
    path: str = Field(description="A file name in data/source/, for example 2018-01-22.csv")


@dg.asset(kinds={"csv"})
def import_file(context: dg.AssetExecutionContext, config: IngestionFileConfig) -> str:
    """The CSV file named in run config, found inside data/source/."""
    # TODO: turn config.path into the full path of a file inside the source
    # folder, refusing names that leave it, and return it as a string.
    raise todo(2, "import_file", "Step 1: the file to import")


@dg.asset(kinds={"duckdb"})
def duckdb_table(
    context: dg.AssetExecutionContext, database: DuckDBResource, import_file: str
) -> dg.MaterializeResult:
    """The file's rows in the DuckDB table raw_data, replacing earlier loads of the same dates."""
    # TODO: load the file into raw_data so that loading it twice leaves the
    # same rows, and report the row count and a preview as metadata.
    raise todo(2, "duckdb_table", "Step 3: loading the file into DuckDB")
