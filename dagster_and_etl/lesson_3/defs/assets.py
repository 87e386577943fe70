import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course.source_files import create_table_sql, read_csv_sql, resolve_source_file
from dagster_and_etl.course.warehouse import table_metadata, transaction

from .partitions import daily_partition, dynamic_partition


def replace_partition(
    conn: duckdb.DuckDBPyConnection, table: str, file_path: str, partition_key: str
) -> int:
    """Swap one partition's rows in `table` for the rows of `file_path`.

    Each row records the partition that loaded it, so a re-run replaces exactly
    those rows, whatever dates the file holds. The file is staged first; the
    old rows are deleted only once the new ones have parsed, and both happen
    in one transaction, so a failed load leaves the previous rows in place.
    """
    conn.execute(create_table_sql(table, {"partition_key": "VARCHAR"}))
    with transaction(conn, f"load {file_path} into {table} for partition {partition_key}"):
        conn.execute(
            f"create or replace temp table staged as select *, ? as partition_key "
            f"from {read_csv_sql()}",
            [partition_key, file_path],
        )
        conn.execute(f"delete from {table} where partition_key = ?", [partition_key])
        conn.execute(f"insert into {table} select * from staged")
        conn.execute("drop table staged")
    return conn.execute(
        f"select count(*) from {table} where partition_key = ?", [partition_key]
    ).fetchone()[0]


def load_partition(
    database: DuckDBResource, table: str, file_path: str, partition_key: str
) -> dg.MaterializeResult:
    with database.get_connection() as conn:
        loaded = replace_partition(conn, table, file_path, partition_key)
        metadata = table_metadata(conn, table, where="partition_key = ?", params=[partition_key])
    return dg.MaterializeResult(metadata={"rows_loaded": loaded, **metadata})


@dg.asset(partitions_def=daily_partition, kinds={"csv"})
def import_partition_file(context: dg.AssetExecutionContext) -> str:
    """The source file for the partition's day, data/source/<day>.csv."""
    return str(resolve_source_file(f"{context.partition_key}.csv"))


@dg.asset(partitions_def=daily_partition, kinds={"duckdb"})
def duckdb_partition_table(
    context: dg.AssetExecutionContext, database: DuckDBResource, import_partition_file: str
) -> dg.MaterializeResult:
    """One day's rows in raw_partition_data, replacing that day's earlier load."""
    return load_partition(
        database, "raw_partition_data", import_partition_file, context.partition_key
    )


@dg.asset(partitions_def=dynamic_partition, kinds={"csv"})
def import_dynamic_partition_file(context: dg.AssetExecutionContext) -> str:
    """The source file the sensor registered as this partition, data/source/<key>.csv."""
    return str(resolve_source_file(f"{context.partition_key}.csv"))


@dg.asset(partitions_def=dynamic_partition, kinds={"duckdb"})
def duckdb_dynamic_partition_table(
    context: dg.AssetExecutionContext,
    database: DuckDBResource,
    import_dynamic_partition_file: str,
) -> dg.MaterializeResult:
    """One file's rows in raw_dynamic_partition_data, replacing that file's earlier load."""
    return load_partition(
        database, "raw_dynamic_partition_data", import_dynamic_partition_file, context.partition_key
    )
