import dagster as dg
from dagster_dbt import build_dbt_asset_selection

from .assets import dbt_models

# The marts that reporting reads (tag:reporting in dbt_project.yml), without
# rebuilding the staging views or reloading the seed.
reporting_job = dg.define_asset_job(
    "reporting_job",
    selection=build_dbt_asset_selection([dbt_models], dbt_select="tag:reporting"),
)
