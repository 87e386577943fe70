from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_and_etl.course.source_files import (
    create_table_sql,
    discard_parsed_copies,
    parsed_copy,
    resolve_source_file,
)
from dagster_and_etl.course.warehouse import table_metadata, transaction


class IngestionFileConfig(dg.Config):
    path: str = Field(description="A file name in data/source/, for example 2018-01-22.csv")


@dg.asset(kinds={"csv"})
def import_file(context: dg.AssetExecutionContext, config: IngestionFileConfig) -> str:
    """The CSV file named in run config, found inside data/source/."""
    file_path = resolve_source_file(config.path)
    context.add_output_metadata({"path": str(file_path), "size_bytes": file_path.stat().st_size})
    return str(file_path)


def replace_rows_from_file(
    conn: duckdb.DuckDBPyConnection, table: str, parsed: Path, source: str
) -> int:
    """Load a parsed file into `table`, replacing the rows of the dates it contains.

    Delete and insert happen in one transaction: a second load of the same
    file leaves the same rows, and a load that fails changes nothing.
    """
    conn.execute(create_table_sql(table))
    # Rows in a table have no order; without one to keep, DuckDB inserts on every core.
    conn.execute("set preserve_insertion_order = false")
    with transaction(conn, f"load {source} into {table}"):
        conn.execute(
            f"delete from {table} where date in (select date from read_parquet(?))", [str(parsed)]
        )
        [(loaded,)] = conn.execute(
            f"insert into {table} select * from read_parquet(?)", [str(parsed)]
        ).fetchall()
    return loaded


@dg.asset(kinds={"duckdb"})
def duckdb_table(
    context: dg.AssetExecutionContext, database: DuckDBResource, import_file: str
) -> dg.MaterializeResult:
    """The file's rows in the DuckDB table raw_data, replacing earlier loads of the same dates."""
    # The check has already parsed the file for this run; on its own, the load parses it here.
    parsed = parsed_copy(context.run.run_id, import_file)
    with database.get_connection() as conn:
        loaded = replace_rows_from_file(conn, "raw_data", parsed, import_file)
        metadata = table_metadata(conn, "raw_data")
    discard_parsed_copies(context.run.run_id)
    return dg.MaterializeResult(metadata={"rows_loaded": loaded, **metadata})
