import dagster as dg
from dagster_sling import SlingConnectionResource

from dagster_and_etl.course import settings
from dagster_and_etl.course.sling_runs import CourseSlingResource
from dagster_and_etl.course.warehouse import CourseDuckDBResource


@dg.definitions
def resources() -> dg.Definitions:
    # Connection details come from the environment (POSTGRES_*); the course
    # defaults are in .env.example. Nothing secret is written here.
    postgres = SlingConnectionResource(
        name="MY_POSTGRES",
        type="postgres",
        host=dg.EnvVar("POSTGRES_HOST"),
        port=dg.EnvVar("POSTGRES_PORT"),
        database=dg.EnvVar("POSTGRES_DB"),
        user=dg.EnvVar("POSTGRES_USER"),
        password=dg.EnvVar("POSTGRES_PASSWORD"),
        sslmode="disable",
    )
    duckdb = SlingConnectionResource(
        name="MY_DUCKDB",
        type="duckdb",
        instance=str(settings.duckdb_database()),
        # Stage through CSV files: the default method needs DuckDB's httpfs
        # extension, which would have to be downloaded.
        copy_method="csv_files",
    )
    return dg.Definitions(
        resources={
            # dagster-sling's SlingResource with a time limit and readable errors.
            "sling": CourseSlingResource(connections=[postgres, duckdb]),
            "database": CourseDuckDBResource(database=str(settings.duckdb_database())),
        }
    )
