import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field, field_validator

from dagster_and_etl.course import settings
from dagster_and_etl.course.source_files import create_table_sql, read_csv_sql
from dagster_and_etl.course.warehouse import table_metadata, transaction

from .resources import NASAResource

# The fields kept from each NeoWs object, and their DuckDB types.
ASTEROID_COLUMNS = {
    "id": "VARCHAR",
    "name": "VARCHAR",
    "absolute_magnitude_h": "DOUBLE",
    "is_potentially_hazardous_asteroid": "BOOLEAN",
}

# One partition per day of the feed, from the first day the course loads.
nasa_partition = dg.DailyPartitionsDefinition(start_date="2025-04-01")


class NasaDate(dg.Config):
    date: str = Field(description="The run's date, YYYY-MM-DD; the day before it is loaded")

    @field_validator("date")
    @classmethod
    def date_is_iso(cls, value: str) -> str:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"date must be a real day written YYYY-MM-DD, for example 2025-04-02; got {value!r}"
            ) from None
        return value


@dataclass
class AsteroidDay:
    """One day of the feed: the day the objects pass Earth, and the objects as NASA sends them."""

    date: str
    objects: list[dict]


def fetch_day(nasa: NASAResource, day: str) -> AsteroidDay:
    """One whole day of the feed: a rolling, non-overlapping one-day window."""
    feed = nasa.get_near_earth_asteroids(start_date=day, end_date=day)
    return AsteroidDay(date=day, objects=feed.get(day, []))


def write_staging_csv(asteroids: AsteroidDay) -> Path:
    """Write the kept fields to staging/asteroids/<date>.csv: one file per day, so
    runs for different days never overwrite each other's file."""
    path = settings.staging_dir() / "asteroids" / f"{asteroids.date}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with partial.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(ASTEROID_COLUMNS))
        writer.writeheader()
        writer.writerows({key: row[key] for key in ASTEROID_COLUMNS} for row in asteroids.objects)
    partial.replace(path)
    return path


def load_day(conn: duckdb.DuckDBPyConnection, table: str, csv_path: str, day: str) -> dict:
    """Replace `day`'s rows in `table` with the staging file's rows, in one transaction."""
    conn.execute(create_table_sql(table, {"approach_date": "DATE"}, columns=ASTEROID_COLUMNS))
    with transaction(conn, f"load {csv_path} into {table} for {day}"):
        conn.execute(f"delete from {table} where approach_date = ?", [day])
        conn.execute(
            f"insert into {table} select *, ?::date from {read_csv_sql(columns=ASTEROID_COLUMNS)}",
            [day, csv_path],
        )
    return table_metadata(conn, table, where="approach_date = ?", params=[day])


@dg.asset(kinds={"nasa"})
def asteroids(config: NasaDate, nasa: NASAResource) -> AsteroidDay:
    """The near-Earth objects that passed Earth on the day before the configured date."""
    day = dt.date.fromisoformat(config.date) - dt.timedelta(days=1)
    return fetch_day(nasa, day.isoformat())


@dg.asset(kinds={"csv"})
def asteroids_file(context: dg.AssetExecutionContext, asteroids: AsteroidDay) -> str:
    """The day's asteroids as a staging CSV: id, name, magnitude, hazardous."""
    path = write_staging_csv(asteroids)
    context.add_output_metadata({"path": str(path), "rows": len(asteroids.objects)})
    return str(path)


@dg.asset(kinds={"duckdb"})
def duckdb_asteroid_table(
    database: DuckDBResource, asteroids: AsteroidDay, asteroids_file: str
) -> dg.MaterializeResult:
    """The day's asteroids in raw_asteroid_data, replacing that day's earlier load."""
    with database.get_connection() as conn:
        metadata = load_day(conn, "raw_asteroid_data", asteroids_file, asteroids.date)
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(partitions_def=nasa_partition, kinds={"nasa"}, pool="nasa_api")
def asteroids_partition(context: dg.AssetExecutionContext, nasa: NASAResource) -> AsteroidDay:
    """One day of the feed per partition, for backfills; the key is the day loaded."""
    return fetch_day(nasa, context.partition_key)


@dg.asset(partitions_def=nasa_partition, kinds={"duckdb"}, pool="duckdb")
def duckdb_asteroid_partition_table(
    context: dg.AssetExecutionContext, database: DuckDBResource, asteroids_partition: AsteroidDay
) -> dg.MaterializeResult:
    """The partition's day in raw_asteroid_partition_data, staged as CSV, then bulk loaded."""
    csv_path = write_staging_csv(asteroids_partition)
    with database.get_connection() as conn:
        metadata = load_day(
            conn, "raw_asteroid_partition_data", str(csv_path), context.partition_key
        )
    return dg.MaterializeResult(metadata=metadata)
