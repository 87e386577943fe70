import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course.warehouse import table_metadata, transaction

from ..partitions import monthly_partition, product_category_partition
from .joins import joined_data


def replace_partition(conn, table: str, column: str, key: str, select_sql: str) -> dict:
    """Swap one partition's rows of `table` for what `select_sql` returns, in one transaction.

    `select_sql` takes the key twice, as bound parameters: the value of the
    partition column, then the filter.
    """
    with transaction(conn, f"rebuild partition {key} of {table}"):
        conn.execute(f"delete from {table} where {column} = ?", [key])
        conn.execute(f"insert into {table} {select_sql}", [key, key])
    return table_metadata(conn, table, where=f"{column} = ?", params=[key])


@dg.asset(
    deps=[joined_data],
    partitions_def=monthly_partition,
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"duckdb"},
    group_name="analysis",
)
def monthly_sales_performance(
    context: dg.AssetExecutionContext, database: DuckDBResource
) -> dg.MaterializeResult:
    """Sales per rep and product for the partition's month."""
    month = context.partition_key[:7]  # "2024-03-01" -> "2024-03"
    with database.get_connection() as conn:
        conn.execute(
            """
            create table if not exists monthly_sales_performance (
                month varchar, rep_name varchar, product_name varchar,
                total_dollar_amount double
            )
            """
        )
        metadata = replace_partition(
            conn,
            "monthly_sales_performance",
            "month",
            month,
            """
            select ?, rep_name, product_name, sum(dollar_amount)
            from joined_data where strftime(date, '%Y-%m') = ?
            group by all
            """,
        )
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    deps=[joined_data],
    partitions_def=product_category_partition,
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"duckdb"},
    group_name="analysis",
)
def product_performance(
    context: dg.AssetExecutionContext, database: DuckDBResource
) -> dg.MaterializeResult:
    """Sales and units per product, for the partition's category."""
    with database.get_connection() as conn:
        conn.execute(
            """
            create table if not exists product_performance (
                category varchar, product_name varchar,
                total_dollar_amount double, total_units_sold bigint
            )
            """
        )
        metadata = replace_partition(
            conn,
            "product_performance",
            "category",
            context.partition_key,
            """
            select ?, product_name, sum(dollar_amount), sum(quantity)
            from joined_data where category = ?
            group by all
            """,
        )
    return dg.MaterializeResult(metadata=metadata)
