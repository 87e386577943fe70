"""The code location that plain `dg` commands at the repository root load.

It is one of your lessons: the one COURSE_LESSON names (2 unless you change it
in your shell or in .env), so `dg check defs`, `dg list defs`, `dg launch` and
`dg dev` work from the root. `course dev` serves every lesson, each in a code
location of its own, and `course dev N` just lesson N.
"""

import warnings

import dagster as dg

from dagster_and_etl.course import locations, settings


def _warn_if_the_pools_are_missing() -> None:
    """Plain `dg dev` reads the course's pools from dagster.yaml; say so when it cannot."""
    home = settings.get("DAGSTER_HOME")
    if home and not (settings.resolve_path(home) / "dagster.yaml").exists():
        warnings.warn(
            f"DAGSTER_HOME ({home}) has no dagster.yaml, so the course's pools do not apply "
            "(DuckDB takes one writer at a time). Copy dagster.yaml from the repository root "
            "into it, or start the UI with `course dev`, which does that for you.",
            stacklevel=2,
        )


@dg.definitions
def defs() -> dg.Definitions:
    _warn_if_the_pools_are_missing()
    return locations.load_location(locations.lesson_from_env())
