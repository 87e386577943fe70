import dagster as dg
from dagster_duckdb import DuckDBResource
from dagster_sling import SlingConnectionResource, SlingResource

from dagster_and_etl.course import settings


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
            "sling": SlingResource(connections=[postgres, duckdb]),
            "database": DuckDBResource(database=str(settings.duckdb_database())),
        }
    )
