import dagster as dg
from dagster_dlt import DagsterDltResource


@dg.definitions
def resources() -> dg.Definitions:
    # `nasa` is lesson 4's resource (dagster_and_etl/defs/lesson_4/resources.py).
    return dg.Definitions(resources={"dlt": DagsterDltResource()})
