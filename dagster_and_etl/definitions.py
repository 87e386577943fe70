"""The code location `dg dev` serves from the repository root.

By default it is your workspace, `dagster_and_etl/defs/`. Set COURSE_LESSON=N
to serve lesson N's completed code instead (`course dev N` does this for you).
"""

import dagster as dg

from dagster_and_etl.course import locations


@dg.definitions
def defs() -> dg.Definitions:
    return locations.load_code_location(locations.lesson_from_env())
