from collections.abc import Callable

import dlt

from dagster_and_etl.course.workspace import todo


@dlt.source
def simple_source():
    """A few records from code: the smallest source there is."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def customers():
        # TODO: yield a few records, each with an id and a name.
        raise todo(5, "simple_source", "Step 1: a dlt quick start")

    return customers


@dlt.source
def csv_source(file_path: str | None = None):
    """The rows of one course CSV file, replacing earlier loads of the same dates."""

    # TODO ("Step 6: write dispositions"): choose a write disposition and pin
    # the column types, so a second load of a file does not duplicate its rows.
    @dlt.resource
    def share_prices():
        raise todo(5, "csv_source", "Step 3: the CSV pipeline on dlt")

    return share_prices


@dlt.source
def nasa_neo_source(
    fetch_day: Callable[[str], list[dict]], days: list[str], table_name: str = "asteroids"
):
    """Near-Earth objects for `days`, one row per object and day, merged on that pair."""

    @dlt.resource(name=table_name)
    def asteroids():
        raise todo(5, "nasa_neo_source", "Step 5: the NASA pipeline on dlt")

    return asteroids
