"""Reading the course's DuckDB file from notebooks, tests and asset metadata.

DuckDB lets one process write to a database file at a time; while a writer
holds the file, no other process can open it, not even to read. So notebooks
open a read-only connection for one query and close it straight away, and
never hold the file while the Dagster UI runs.
"""

from __future__ import annotations

import datetime as dt
import decimal
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course import settings

if TYPE_CHECKING:
    # Only query() returns a DataFrame, and DuckDB imports pandas itself when it makes
    # one. Every lesson's code imports this module, so importing pandas here would
    # cost every code server, run and step process about 0.25 s.
    import pandas as pd


class CourseDuckDBResource(DuckDBResource):
    """dagster-duckdb's `DuckDBResource`, closing its connection even when the asset fails.

    The upstream `get_connection()` (dagster-duckdb 0.29) closes the connection
    only when the `with` block ends normally. When an asset raises, the
    connection stays open until Python's garbage collector finds it, and until
    then the same process cannot open the file read-only: DuckDB refuses a
    second connection "with a different configuration". In a notebook or a
    test that runs assets in process, that is the very next query.
    """

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with super().get_connection() as conn:
            try:
                yield conn
            finally:
                conn.close()


@contextmanager
def read_only_connection(database: Path | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the course database (or `database`), closed on exit."""
    path = Path(database) if database else settings.duckdb_database()
    if not path.exists():
        raise FileNotFoundError(
            f"There is no DuckDB file at {path} yet. Materialize the lesson's assets first, "
            "or pass the database= your run wrote to."
        )
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException:
        # A run that failed in this process with dagster-duckdb's own resource
        # (your workspace may use it) leaves its connection open until garbage
        # collection; CourseDuckDBResource closes it. Collect it, then try once more.
        gc.collect()
        conn = duckdb.connect(str(path), read_only=True)
    with conn:
        yield conn


def query(
    sql: str, params: list[Any] | None = None, database: Path | str | None = None
) -> pd.DataFrame:
    """Run one query on a read-only connection and return the result as a DataFrame."""
    with read_only_connection(database) as conn:
        return conn.execute(sql, params or []).df()


def fetch(
    sql: str, params: list[Any] | None = None, database: Path | str | None = None
) -> list[tuple]:
    """Run one query on a read-only connection and return the rows as Python tuples."""
    with read_only_connection(database) as conn:
        return conn.execute(sql, params or []).fetchall()


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection, action: str) -> Iterator[None]:
    """Run the block as one transaction: all of it lands, or none of it does.

    A DuckDB error (a malformed file, a type that does not fit) rolls back and
    becomes a `dg.Failure` that says what was being done and that nothing changed.
    """
    conn.execute("begin transaction")
    try:
        yield
    except duckdb.Error as error:
        conn.execute("rollback")
        raise dg.Failure(
            description=(
                f"Could not {action}; nothing was changed. Fix the input and run again. "
                f"DuckDB said: {error}"
            )
        ) from error
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("commit")


def _plain(value: Any) -> Any:
    """A value the Dagster UI can show in a table cell."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def table_metadata(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    *,
    where: str = "",
    params: list[Any] | None = None,
    limit: int = 10,
) -> dict[str, dg.MetadataValue]:
    """Row count and a preview of `table` (optionally of the rows matching `where`).

    `table` and `where` come from the lesson's code, never from run config;
    values in `where` are passed as bound `params`.
    """
    params = params or []
    condition = f"where {where}" if where else ""
    row_count = conn.execute(f"select count(*) from {table} {condition}", params).fetchone()[0]
    preview = conn.execute(f"select * from {table} {condition} limit {int(limit)}", params)
    columns = [column[0] for column in preview.description]
    records = [
        dg.TableRecord({name: _plain(value) for name, value in zip(columns, row, strict=False)})
        for row in preview.fetchall()
    ]
    return {
        "dagster/row_count": dg.MetadataValue.int(row_count),
        "preview": dg.MetadataValue.table(
            records=records,
            schema=dg.TableSchema(columns=[dg.TableColumn(name) for name in columns]),
        ),
    }
