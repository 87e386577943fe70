import time

import dagster as dg
import requests
from pydantic import Field

from dagster_and_etl.course import settings
from dagster_and_etl.course.nasa_api import what_to_try
from dagster_and_etl.course.warehouse import CourseDuckDBResource

RETRY_STATUSES = {429, 500, 502, 503, 504}


class NASAResource(dg.ConfigurableResource):
    """NASA's Near Earth Object Web Service feed, with retries and clear errors."""

    api_key: str = Field(description="Your api.nasa.gov key (DEMO_KEY works, with low limits)")
    base_url: str = Field(
        default=settings.DEFAULT_NASA_API_BASE_URL,
        description="https://api.nasa.gov, or the course's local stand-in server",
    )
    timeout_seconds: float = 30.0
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    max_wait_seconds: float = 60.0

    def get_near_earth_asteroids(self, start_date: str, end_date: str) -> dict[str, list[dict]]:
        """The feed's objects between two dates (inclusive), keyed by approach date."""
        url = f"{self.base_url.rstrip('/')}/neo/rest/v1/feed"
        params = {"start_date": start_date, "end_date": end_date, "api_key": self.api_key}
        what = f"the NeoWs feed for {start_date} to {end_date}"
        for attempt in range(1, self.max_attempts + 1):
            response = None
            try:
                response = requests.get(url, params=params, timeout=self.timeout_seconds)
            except requests.RequestException as error:
                problem = f"could not reach {self.base_url} ({type(error).__name__})"
                reached = False
            else:
                reached = True
                if response.ok:
                    return response.json()["near_earth_objects"]
                if response.status_code == 403:
                    raise dg.Failure(
                        description=(
                            f"NASA refused the API key (403) for {what}. Set NASA_API_KEY to "
                            "your key from https://api.nasa.gov, or to DEMO_KEY."
                        )
                    )
                if response.status_code not in RETRY_STATUSES:
                    raise dg.Failure(
                        description=f"{self.base_url} answered {response.status_code} for "
                        f"{what}: {response.text[:300]} Check the date and NASA_API_BASE_URL."
                    )
                problem = f"{self.base_url} answered {response.status_code}"
            if attempt == self.max_attempts:
                break
            wait = self._wait_before_retry(attempt, response)
            dg.get_dagster_logger().warning(
                f"{problem} for {what}; attempt {attempt} of {self.max_attempts}, "
                f"retrying in {wait:.1f}s"
            )
            time.sleep(wait)
        raise dg.Failure(
            description=(
                f"Gave up on {what} after {self.max_attempts} attempts: {problem}. "
                f"Nothing was loaded. {what_to_try(self.base_url, reached)}"
            )
        )

    def _wait_before_retry(self, attempt: int, response: requests.Response | None) -> float:
        """Honour Retry-After when the API sends one; otherwise back off exponentially."""
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), self.max_wait_seconds)
        return min(self.backoff_seconds * 2 ** (attempt - 1), self.max_wait_seconds)


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "database": CourseDuckDBResource(database=str(settings.duckdb_database())),
            # The key is a secret: it comes from the environment, never from code.
            # NASA_API_BASE_URL points the same code at the local stand-in server.
            "nasa": NASAResource(
                api_key=dg.EnvVar("NASA_API_KEY"), base_url=settings.nasa_api_base_url()
            ),
        }
    )
