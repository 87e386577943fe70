from dagster_duckdb import DuckDBResource

from dagster_and_etl.course import settings


def database() -> DuckDBResource:
    """Shared infrastructure: the one DuckDB file every lesson uses (DUCKDB_DATABASE)."""
    return DuckDBResource(database=str(settings.duckdb_database()))
