import csv
from pathlib import Path

import dagster as dg
import duckdb

from dagster_and_etl.course.source_files import discard_parsed_copies, parsed_copy
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
def invalid_share_price(
    context: dg.AssetCheckExecutionContext, import_file: str
) -> dg.AssetCheckResult:
    # DuckDB parses the file once, with its declared types, into a Parquet copy
    # that duckdb_table then loads; a malformed file fails here, by line and column.
    parsed = parsed_copy(context.run.run_id, import_file)
    return share_price_result(context, parsed)


def share_price_result(context: dg.AssetCheckExecutionContext, parsed: Path) -> dg.AssetCheckResult:
    """The rule on a run's parsed copy: every share price above zero (Step 6 reuses it)."""
    # An in-memory DuckDB reads the copy: the warehouse is not touched before
    # the data has passed.
    with duckdb.connect() as conn:
        conn.execute(
            "create table invalid as select * from read_parquet(?) "
            "where share_price is null or share_price <= 0",
            [str(parsed)],
        )
        metadata = table_metadata(conn, "invalid", limit=20)
    invalid_rows = metadata.pop("dagster/row_count").value
    if invalid_rows:
        discard_parsed_copies(context.run.run_id)  # the load will not run
    return dg.AssetCheckResult(
        passed=invalid_rows == 0,
        metadata={"invalid_rows": invalid_rows, "offending_rows": metadata["preview"]},
    )
