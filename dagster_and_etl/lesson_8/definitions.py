"""The single wiring point of the sales project: every definition is listed here.

dg dev -m dagster_and_etl.lesson_8.definitions
"""

import dagster as dg

from . import resources
from .assets import analysis, ingestion, joins, requests
from .schedules import weekly_update_job, weekly_update_schedule
from .sensors import adhoc_request_job, adhoc_request_sensor

asset_modules = [ingestion, joins, analysis, requests]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules(asset_modules),
        asset_checks=dg.load_asset_checks_from_modules(asset_modules),
        jobs=[weekly_update_job, adhoc_request_job],
        schedules=[weekly_update_schedule],
        sensors=[adhoc_request_sensor],
        resources={"database": resources.database()},
    )
