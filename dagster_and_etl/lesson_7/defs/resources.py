import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course import settings


@dg.definitions
def resources() -> dg.Definitions:
    # Sling's connections live in ingest_files/defs.yaml; the downstream assets
    # read DuckDB through the same `database` resource as before.
    return dg.Definitions(
        resources={"database": DuckDBResource(database=str(settings.duckdb_database()))}
    )
