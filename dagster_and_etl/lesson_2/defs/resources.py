import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course import settings


@dg.definitions
def resources() -> dg.Definitions:
    # The path comes from the course settings: data/staging/data.duckdb under the
    # repository root unless DUCKDB_DATABASE says otherwise.
    return dg.Definitions(
        resources={"database": DuckDBResource(database=str(settings.duckdb_database()))}
    )
