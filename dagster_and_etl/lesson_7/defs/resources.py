import dagster as dg

from dagster_and_etl.course import settings
from dagster_and_etl.course.warehouse import CourseDuckDBResource


@dg.definitions
def resources() -> dg.Definitions:
    # Sling's connections live in ingest_files/defs.yaml; the downstream assets
    # read DuckDB through the same `database` resource as before.
    return dg.Definitions(
        resources={"database": CourseDuckDBResource(database=str(settings.duckdb_database()))}
    )
