import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_and_etl.lesson_6.defs import resources as lesson_6

from .assets import dbt_project


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions.merge(
        # Given: lesson 6's `sling` (and `database`), for the Sling assets upstream.
        lesson_6.resources(),
        # dbt finds the project, and the profiles.yml inside it, through dbt_project.
        dg.Definitions(resources={"dbt": DbtCliResource(project_dir=dbt_project)}),
    )
