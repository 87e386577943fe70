import dagster as dg

from dagster_and_etl.course import settings
from dagster_and_etl.course.warehouse import CourseDuckDBResource
from dagster_and_etl.course.workspace import ResourceNotWrittenYet


@dg.definitions
def resources() -> dg.Definitions:
    # TODO ("Step 2: Sling connections as resources"): a CourseSlingResource
    # (dagster_and_etl.course.sling_runs; dagster-sling's SlingResource with a time
    # limit and readable errors) with two SlingConnectionResources: MY_POSTGRES, its
    # settings from the POSTGRES_* variables through dg.EnvVar, and MY_DUCKDB.
    return dg.Definitions(
        resources={
            # Given: lesson 2's DuckDB resource, for the downstream assets.
            "database": CourseDuckDBResource(database=str(settings.duckdb_database())),
            "sling": ResourceNotWrittenYet(
                lesson=6, resource="sling", section="Step 2: Sling connections as resources"
            ),
        }
    )
