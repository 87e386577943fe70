from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_and_etl.course import settings
from dagster_and_etl.course.dbt_offline import parse_if_changed
from dagster_and_etl.course.workspace import todo

DBT_PROJECT_DIR = Path(__file__).with_name("dbt_project")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)

# Parse the dbt project into target/manifest.json as this code loads, whenever a
# file of the project is newer than the manifest, so a changed model or test shows
# up at once. A deployment parses while it builds its image and sets
# DAGSTER_DBT_PARSE_PROJECT_ON_LOAD=0 to load the manifest it shipped.
if settings.get("DAGSTER_DBT_PARSE_PROJECT_ON_LOAD") == "1":
    parse_if_changed(dbt_project)


class ShopTranslator(DagsterDbtTranslator):
    """How dbt's nodes look in Dagster: here, one asset group per dbt folder."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # TODO ("Step 4: the dbt project as assets"): group a model by its folder
        # (staging or marts), and the seed as "seeds".
        return super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ShopTranslator(),
    pool="duckdb",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """The shop's dbt seeds, models and tests, built in dependency order."""
    raise todo(9, "dbt_models", "Step 4: the dbt project as assets")
