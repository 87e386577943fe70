import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course import settings
from dagster_and_etl.course.warehouse import table_metadata, transaction


def load_csv(database: DuckDBResource, table: str, file_name: str) -> dg.MaterializeResult:
    """Replace `table` with the rows of data/sales/<file_name>."""
    path = settings.sales_dir() / file_name
    with database.get_connection() as conn:
        with transaction(conn, f"load {path} into {table}"):
            conn.execute(
                f"create or replace table {table} as select * from read_csv(?)", [str(path)]
            )
        return dg.MaterializeResult(metadata=table_metadata(conn, table))


@dg.asset(kinds={"duckdb"}, group_name="ingestion")
def products(database: DuckDBResource) -> dg.MaterializeResult:
    """The product catalogue: id, name, category and price."""
    return load_csv(database, "products", "products.csv")


@dg.asset(kinds={"duckdb"}, group_name="ingestion")
def sales_reps(database: DuckDBResource) -> dg.MaterializeResult:
    """The sales reps: id, name, department and hire date."""
    return load_csv(database, "sales_reps", "sales_reps.csv")


@dg.asset(kinds={"duckdb"}, group_name="ingestion")
def sales_data(database: DuckDBResource) -> dg.MaterializeResult:
    """Every sale: date, customer, rep, product, quantity and amount."""
    return load_csv(database, "sales_data", "sales_data.csv")
