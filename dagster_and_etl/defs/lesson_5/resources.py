import dagster as dg
from dagster_dlt import DagsterDltResource

from dagster_and_etl.course import settings
from dagster_and_etl.lesson_4.defs.resources import NASAResource


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "dlt": DagsterDltResource(),
            # Given: lesson 4's resource, from its completed code. The same key,
            # URL and retries feed the dlt source.
            "nasa": NASAResource(
                api_key=dg.EnvVar("NASA_API_KEY"), base_url=settings.nasa_api_base_url()
            ),
        }
    )
