import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course.warehouse import table_metadata

from .ingestion import products, sales_data, sales_reps


@dg.asset(deps=[sales_data, sales_reps, products], kinds={"duckdb"}, group_name="joins")
def joined_data(database: DuckDBResource) -> dg.MaterializeResult:
    """Each sale with its rep and product: a view, so it is always as fresh as its inputs."""
    with database.get_connection() as conn:
        conn.execute(
            """
            create or replace view joined_data as
            select s.order_id, s.date, s.dollar_amount, s.customer_name, s.quantity,
                   r.rep_name, r.department, r.hire_date,
                   p.product_name, p.category, p.price
            from sales_data s
            left join sales_reps r on r.rep_id = s.rep_id
            left join products p on p.product_id = s.product_id
            """
        )
        return dg.MaterializeResult(metadata=table_metadata(conn, "joined_data"))


@dg.asset_check(asset=joined_data, description="Every sale has a known rep and a known product.")
def missing_dimension_check(database: DuckDBResource) -> dg.AssetCheckResult:
    with database.get_connection() as conn:
        metadata = table_metadata(
            conn, "joined_data", where="rep_name is null or product_name is null", limit=20
        )
    missing = metadata["dagster/row_count"].value
    return dg.AssetCheckResult(
        passed=missing == 0,
        metadata={"sales_missing_a_dimension": missing, "examples": metadata["preview"]},
    )
