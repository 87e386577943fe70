# The downstream assets are lesson 6's, unchanged: they depend on the asset keys
# target/data/<table>, which the component produces just as @sling_assets did.
from dagster_and_etl.lesson_6.defs.assets import order_details, revenue_by_category

__all__ = ["order_details", "revenue_by_category"]
