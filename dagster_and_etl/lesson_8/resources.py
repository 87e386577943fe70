from dagster_and_etl.course import settings
from dagster_and_etl.course.warehouse import CourseDuckDBResource


def database() -> CourseDuckDBResource:
    """Shared infrastructure: the one DuckDB file every lesson uses (DUCKDB_DATABASE)."""
    return CourseDuckDBResource(database=str(settings.duckdb_database()))
