from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource
from dagster_sling import SlingResource, sling_assets

from dagster_and_etl.course.postgres import require_reachable
from dagster_and_etl.course.warehouse import table_metadata

REPLICATION = Path(__file__).with_name("sling_replication.yaml")


@sling_assets(replication_config=REPLICATION, pool="duckdb")
def postgres_sling_assets(context: dg.AssetExecutionContext, sling: SlingResource):
    """Customers, products and orders replicated from Postgres into DuckDB by Sling."""
    require_reachable(next(c for c in sling.connections if c.name == "MY_POSTGRES"))
    yield from sling.replicate(context=context).fetch_column_metadata()


# The keys Sling gives the three replicated tables: target/<schema>/<table>.
CUSTOMERS, PRODUCTS, ORDERS = (
    dg.AssetKey(["target", "data", t]) for t in ("customers", "products", "orders")
)


@dg.asset(deps=[ORDERS, PRODUCTS, CUSTOMERS], kinds={"duckdb"}, pool="duckdb")
def order_details(database: DuckDBResource) -> dg.MaterializeResult:
    """Every order with its customer and product, and the order's value."""
    with database.get_connection() as conn:
        conn.execute(
            """
            create or replace table order_details as
            select
                o.order_id,
                o.order_date,
                c.first_name || ' ' || c.last_name as customer,
                p.name as product,
                p.category,
                o.quantity,
                o.quantity * p.price as order_value
            from data_orders o
            join data_products p using (product_id)
            join data_customers c using (customer_id)
            """
        )
        metadata = table_metadata(conn, "order_details")
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(deps=[order_details], kinds={"duckdb"}, pool="duckdb")
def revenue_by_category(database: DuckDBResource) -> dg.MaterializeResult:
    """Order value per product category and month."""
    with database.get_connection() as conn:
        conn.execute(
            """
            create or replace table revenue_by_category as
            select category, date_trunc('month', order_date)::date as month,
                   count(*) as orders, sum(order_value) as revenue
            from order_details
            group by all
            order by month, category
            """
        )
        metadata = table_metadata(conn, "revenue_by_category")
    return dg.MaterializeResult(metadata=metadata)
