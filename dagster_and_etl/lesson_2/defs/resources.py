import dagster as dg

from dagster_and_etl.course import settings
from dagster_and_etl.course.warehouse import CourseDuckDBResource


@dg.definitions
def resources() -> dg.Definitions:
    # The path comes from the course settings: data/staging/data.duckdb under the
    # repository root unless DUCKDB_DATABASE says otherwise.
    return dg.Definitions(
        resources={"database": CourseDuckDBResource(database=str(settings.duckdb_database()))}
    )
