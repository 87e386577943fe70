import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course.warehouse import transaction

SNAPSHOT_TABLE = "monitoring.table_row_counts"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dg.asset(kinds={"duckdb"}, pool="duckdb")
def table_row_counts(context: dg.AssetExecutionContext, database: DuckDBResource):
    """How many rows each table of the DuckDB file holds: one snapshot per run."""
    taken_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with database.get_connection() as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_schema <> 'monitoring' "
            "order by table_schema, table_name"
        ).fetchall()
        counts = {
            f"{schema}.{table}": conn.execute(
                f"select count(*) from {quoted(schema)}.{quoted(table)}"
            ).fetchone()[0]
            for schema, table in tables
        }
        conn.execute("create schema if not exists monitoring")
        conn.execute(
            f"create table if not exists {SNAPSHOT_TABLE} "
            "(run_id varchar, taken_at timestamp, table_name varchar, row_count bigint)"
        )
        # Keyed by run: running this run again replaces its snapshot, never doubles it.
        with transaction(conn, f"write the row counts of run {context.run_id}"):
            conn.execute(f"delete from {SNAPSHOT_TABLE} where run_id = ?", [context.run_id])
            for name, count in counts.items():
                conn.execute(
                    f"insert into {SNAPSHOT_TABLE} values (?, ?, ?, ?)",
                    [context.run_id, taken_at, name, count],
                )
    return dg.MaterializeResult(
        metadata={
            "tables": len(counts),
            "total_rows": sum(counts.values()),
            "row_counts": dg.MetadataValue.json(counts),
        }
    )
