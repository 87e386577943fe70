import csv

import dagster as dg
import duckdb

from dagster_and_etl.course.source_files import read_csv_sql
from dagster_and_etl.course.warehouse import table_metadata

from .assets import import_file


def invalid_share_prices_python(file_path: str) -> list[dict[str, str]]:
    """The rows whose share price is missing, zero or negative, read row by row."""
    with open(file_path, newline="", encoding="utf-8") as file:
        return [
            row
            for row in csv.DictReader(file)
            if not row["share_price"] or float(row["share_price"]) <= 0
        ]


@dg.asset_check(
    asset=import_file,
    blocking=True,
    description="Every row has a share price above zero; otherwise nothing downstream loads.",
)
def invalid_share_price(import_file: str) -> dg.AssetCheckResult:
    # An in-memory DuckDB reads the file itself: fast on millions of rows, and
    # the warehouse is not touched before the data has passed.
    with duckdb.connect() as conn:
        conn.execute(
            f"create table invalid as select * from {read_csv_sql()} "
            "where share_price is null or share_price <= 0",
            [import_file],
        )
        metadata = table_metadata(conn, "invalid", limit=20)
    invalid_rows = metadata.pop("dagster/row_count").value
    return dg.AssetCheckResult(
        passed=invalid_rows == 0,
        metadata={"invalid_rows": invalid_rows, "offending_rows": metadata["preview"]},
    )
