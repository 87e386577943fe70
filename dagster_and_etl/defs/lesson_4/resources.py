import dagster as dg
from pydantic import Field

from dagster_and_etl.course import settings
from dagster_and_etl.course.warehouse import CourseDuckDBResource
from dagster_and_etl.course.workspace import todo


class NASAResource(dg.ConfigurableResource):
    """NASA's Near Earth Object Web Service feed, with retries and clear errors."""

    api_key: str = Field(description="Your api.nasa.gov key (DEMO_KEY works, with low limits)")
    base_url: str = Field(
        default=settings.DEFAULT_NASA_API_BASE_URL,
        description="https://api.nasa.gov, or the course's local stand-in server",
    )

    def get_near_earth_asteroids(self, start_date: str, end_date: str) -> dict[str, list[dict]]:
        """The feed's objects between two dates (inclusive), keyed by approach date."""
        # TODO: call {base_url}/neo/rest/v1/feed, retry 429 and 5xx responses, and
        # raise a clear dg.Failure when the key is refused or retries run out.
        raise todo(4, "NASAResource.get_near_earth_asteroids", "Step 1: a resource for the API")


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            # Given: lesson 2's DuckDB resource, the one file every lesson loads into.
            "database": CourseDuckDBResource(database=str(settings.duckdb_database())),
            "nasa": NASAResource(
                api_key=dg.EnvVar("NASA_API_KEY"), base_url=settings.nasa_api_base_url()
            ),
        }
    )
