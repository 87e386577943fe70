import dagster as dg

from dagster_and_etl.course.workspace import ResourceNotWrittenYet
from dagster_and_etl.lesson_6.defs import resources as lesson_6


@dg.definitions
def resources() -> dg.Definitions:
    # TODO: `dbt`, a DbtCliResource that runs the project in dbt_project/
    # (use dbt_project from assets.py).
    return dg.Definitions.merge(
        # Given: lesson 6's `sling` (and `database`), for the Sling assets upstream.
        lesson_6.resources(),
        dg.Definitions(
            resources={
                "dbt": ResourceNotWrittenYet(
                    lesson=9, resource="dbt", section="Step 4: the dbt project as assets"
                )
            }
        ),
    )
