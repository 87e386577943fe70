"""The dlt sources of lesson 5: what to extract, and how it should land."""

import csv
from collections.abc import Callable

import dlt

SIMPLE_RECORDS = [
    {"id": 1, "name": "Alice", "signed_up": "2024-03-01", "score": 4.5},
    {"id": 2, "name": "Bob", "signed_up": "2024-03-04", "score": 3.0},
    {"id": 3, "name": "Chandra", "signed_up": "2024-03-09", "score": 5.0},
]


@dlt.source
def simple_source():
    """A few records from code: the smallest source there is."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def customers():
        yield SIMPLE_RECORDS

    return customers


@dlt.source
def csv_source(file_path: str | None = None):
    """The rows of one course CSV file, replacing earlier loads of the same dates."""

    # csv.DictReader yields every value as text, so dlt would infer text columns.
    # The hints pin the types; dlt converts each value as it normalizes the rows.
    @dlt.resource(
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        merge_key="date",
        columns={
            "date": {"data_type": "date"},
            "share_price": {"data_type": "double"},
            "amount": {"data_type": "bigint"},
            "spend": {"data_type": "double"},
            "shift": {"data_type": "double"},
            "spread": {"data_type": "double"},
        },
    )
    def share_prices():
        if file_path is None:
            raise ValueError("csv_source needs the path of the file to load")
        with open(file_path, newline="", encoding="utf-8") as file:
            yield from csv.DictReader(file)

    return share_prices


@dlt.source
def nasa_neo_source(
    fetch_day: Callable[[str], list[dict]], days: list[str], table_name: str = "asteroids"
):
    """Near-Earth objects for `days`, one row per object and day, merged on that pair."""

    @dlt.resource(
        name=table_name,
        primary_key=["id", "approach_date"],
        write_disposition="merge",
        columns={"approach_date": {"data_type": "date"}},
    )
    def asteroids():
        for day in days:
            for neo in fetch_day(day):
                yield {
                    "id": neo["id"],
                    "name": neo["name"],
                    "absolute_magnitude_h": neo["absolute_magnitude_h"],
                    "is_potentially_hazardous_asteroid": neo["is_potentially_hazardous_asteroid"],
                    "approach_date": day,
                }

    return asteroids
