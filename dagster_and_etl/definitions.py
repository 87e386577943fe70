"""The code location that plain `dg` commands at the repository root load.

It is one of your lessons: the one COURSE_LESSON names (2 unless you change it
in your shell or in .env), so `dg check defs`, `dg list defs`, `dg launch` and
`dg dev` work from the root. `course dev` serves every lesson, each in a code
location of its own, and `course dev N` just lesson N.
"""

import dagster as dg

from dagster_and_etl.course import locations


@dg.definitions
def defs() -> dg.Definitions:
    return locations.load_location(locations.lesson_from_env())
