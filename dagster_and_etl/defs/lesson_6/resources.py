import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course import settings
from dagster_and_etl.course.workspace import ResourceNotWrittenYet


@dg.definitions
def resources() -> dg.Definitions:
    # TODO: a SlingResource with two SlingConnectionResources, MY_POSTGRES (its
    # settings from the POSTGRES_* variables through dg.EnvVar) and MY_DUCKDB.
    return dg.Definitions(
        resources={
            # Given: lesson 2's DuckDB resource, for the downstream assets.
            "database": DuckDBResource(database=str(settings.duckdb_database())),
            "sling": ResourceNotWrittenYet(
                lesson=6, resource="sling", section="Step 2: Sling connections as resources"
            ),
        }
    )
