import dagster as dg

from dagster_and_etl.course.workspace import ResourceNotWrittenYet


@dg.definitions
def resources() -> dg.Definitions:
    # TODO ("Step 2: a DuckDB resource"): replace the placeholder with the course
    # kit's CourseDuckDBResource (dagster_and_etl.course.warehouse) whose database
    # is settings.duckdb_database(). dagster-duckdb's DuckDBResource works too.
    return dg.Definitions(
        resources={
            "database": ResourceNotWrittenYet(
                lesson=2, resource="database", section="Step 2: a DuckDB resource"
            ),
        }
    )
