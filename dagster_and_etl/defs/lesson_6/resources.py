import dagster as dg

from dagster_and_etl.course.workspace import ResourceNotWrittenYet


@dg.definitions
def resources() -> dg.Definitions:
    # TODO: a SlingResource with two SlingConnectionResources, MY_POSTGRES (its
    # settings from the POSTGRES_* variables through dg.EnvVar) and MY_DUCKDB.
    # (`database` for the downstream assets is in dagster_and_etl/defs/resources.py.)
    return dg.Definitions(
        resources={
            "sling": ResourceNotWrittenYet(
                lesson=6, resource="sling", section="Step 2: Sling connections as resources"
            )
        }
    )
