from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource
from dagster_sling import SlingResource, sling_assets

from dagster_and_etl.course.workspace import todo

REPLICATION = Path(__file__).with_name("sling_replication.yaml")


@sling_assets(replication_config=REPLICATION, pool="duckdb")
def postgres_sling_assets(context: dg.AssetExecutionContext, sling: SlingResource):
    """Customers, products and orders replicated from Postgres into DuckDB by Sling."""
    raise todo(6, "postgres_sling_assets", "Step 4: Sling assets")


CUSTOMERS, PRODUCTS, ORDERS = (
    dg.AssetKey(["target", "data", t]) for t in ("customers", "products", "orders")
)


@dg.asset(deps=[ORDERS, PRODUCTS, CUSTOMERS], kinds={"duckdb"}, pool="duckdb")
def order_details(database: DuckDBResource) -> dg.MaterializeResult:
    """Every order with its customer and product, and the order's value."""
    raise todo(6, "order_details", "Step 5: downstream assets")


@dg.asset(deps=[order_details], kinds={"duckdb"}, pool="duckdb")
def revenue_by_category(database: DuckDBResource) -> dg.MaterializeResult:
    """Order value per product category and month."""
    raise todo(6, "revenue_by_category", "Step 5: downstream assets")
