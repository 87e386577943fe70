import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_and_etl.course.workspace import todo

from .partitions import monthly_partition, product_category_partition

# TODO ("Step 3: assets by stage"): move each asset out of lesson_8/before.py,
# and split this file by stage (ingestion, joins, analysis, requests) if you like.


@dg.asset(kinds={"duckdb"}, group_name="ingestion")
def products(database: DuckDBResource) -> dg.MaterializeResult:
    """The product catalogue: id, name, category and price."""
    raise todo(8, "products", "Step 3: assets by stage")


@dg.asset(kinds={"duckdb"}, group_name="ingestion")
def sales_reps(database: DuckDBResource) -> dg.MaterializeResult:
    """The sales reps: id, name, department and hire date."""
    raise todo(8, "sales_reps", "Step 3: assets by stage")


@dg.asset(kinds={"duckdb"}, group_name="ingestion")
def sales_data(database: DuckDBResource) -> dg.MaterializeResult:
    """Every sale: date, customer, rep, product, quantity and amount."""
    raise todo(8, "sales_data", "Step 3: assets by stage")


@dg.asset(deps=[sales_data, sales_reps, products], kinds={"duckdb"}, group_name="joins")
def joined_data(database: DuckDBResource) -> dg.MaterializeResult:
    """Each sale with its rep and product: a view, so it is always as fresh as its inputs."""
    raise todo(8, "joined_data", "Step 3: assets by stage")


@dg.asset_check(asset=joined_data, description="Every sale has a known rep and a known product.")
def missing_dimension_check(database: DuckDBResource) -> dg.AssetCheckResult:
    raise todo(8, "missing_dimension_check", "Step 3: assets by stage")


@dg.asset(
    deps=[joined_data],
    partitions_def=monthly_partition,
    kinds={"duckdb"},
    group_name="analysis",
)
def monthly_sales_performance(context: dg.AssetExecutionContext, database: DuckDBResource):
    """Sales per rep and product for the partition's month."""
    raise todo(8, "monthly_sales_performance", "Step 3: assets by stage")


@dg.asset(
    deps=[joined_data],
    partitions_def=product_category_partition,
    kinds={"duckdb"},
    group_name="analysis",
)
def product_performance(context: dg.AssetExecutionContext, database: DuckDBResource):
    """Sales and units per product, for the partition's category."""
    raise todo(8, "product_performance", "Step 3: assets by stage")


class AdhocRequestConfig(dg.Config):
    # TODO ("Step 5: the request sensor"): validate the department and the dates.
    department: str = Field(description="Enterprise, Retail or Online")
    product: str = Field(description="A product name, for example Mechanical keyboard")
    start_date: str = Field(description="First day included, YYYY-MM-DD")
    end_date: str = Field(description="First day no longer included, YYYY-MM-DD")


@dg.asset(deps=[joined_data], kinds={"duckdb"}, group_name="requests")
def adhoc_request(config: AdhocRequestConfig, database: DuckDBResource) -> dg.MaterializeResult:
    """Sales per rep for one department, product and date range, as the request asks."""
    raise todo(8, "adhoc_request", "Step 5: the request sensor")
