"""Optional, not graded: the NeoWs source made incremental with dlt.sources.incremental.

It is not part of lesson 5's code location; lesson 5, Step 6 quotes it, and a test
runs it twice to show that the second run asks only for the days after the first.
"""

import datetime as dt
from collections.abc import Callable

import dlt


@dlt.source
def nasa_neo_incremental_source(fetch_day: Callable[[str], list[dict]], until: str):
    """Every day from the newest one already loaded up to `until`, merged on (id, day)."""

    @dlt.resource(
        name="asteroids_incremental",
        primary_key=["id", "approach_date"],
        write_disposition="merge",
        columns={"approach_date": {"data_type": "date"}},
    )
    def asteroids(
        # dlt keeps the highest approach_date it has loaded in the pipeline's state,
        # and passes it in here at run time (a default argument is dlt's idiom for
        # this). On the first run there is none, and initial_value stands in for it.
        approach_date=dlt.sources.incremental(  # noqa: B008
            "approach_date", initial_value="2025-04-01"
        ),
    ):
        # Start at the newest day loaded, not the day after it: a day loaded
        # while it was still filling up is read again, and the merge absorbs it.
        day = dt.date.fromisoformat(str(approach_date.last_value))
        while day <= dt.date.fromisoformat(until):
            for neo in fetch_day(day.isoformat()):
                yield {
                    "id": neo["id"],
                    "name": neo["name"],
                    "approach_date": day.isoformat(),
                }
            day += dt.timedelta(days=1)

    return asteroids
