import dagster as dg

from .assets import ORDERS, postgres_sling_assets

# All three tables; the full-refresh ones are small and change rarely.
postgres_refresh_job = dg.define_asset_job(
    "postgres_refresh_job", selection=dg.AssetSelection.assets(postgres_sling_assets)
)

# Orders alone, incrementally: only new and changed rows travel.
orders_refresh_job = dg.define_asset_job(
    "orders_refresh_job", selection=dg.AssetSelection.assets(ORDERS)
)
