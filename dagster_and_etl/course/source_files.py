"""The CSV files the file-import lessons load, and the generator that writes them.

`data/source/2018-01-22.csv` … `2018-01-24.csv` are written by `generate_file`
from a seed derived from the date, so the same command always writes the same
bytes (a test checks the committed files against it). Every row in a file
carries the file's own date, so a day's rows can always be found again.

Regenerate them, or write a large file for the scale exercise, with
`course data generate` (see `course data generate --help`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import random
from pathlib import Path

import dagster as dg

from dagster_and_etl.course import settings

# The columns of every source file, with the DuckDB type each one loads as.
SOURCE_COLUMNS: dict[str, str] = {
    "date": "DATE",
    "share_price": "DOUBLE",
    "amount": "BIGINT",
    "spend": "DOUBLE",
    "shift": "DOUBLE",
    "spread": "DOUBLE",
}

COURSE_DATES = ("2018-01-22", "2018-01-23", "2018-01-24")


def read_csv_sql(parameter: str = "?", columns: dict[str, str] = SOURCE_COLUMNS) -> str:
    """A DuckDB `read_csv` call for a CSV file, the path passed as a bound parameter.

    The column types are declared rather than sniffed, so a malformed value
    fails loudly instead of turning a whole column into text. `columns`
    defaults to the course's source files.
    """
    types = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
    return f"read_csv({parameter}, header = true, columns = {{{types}}})"


def create_table_sql(
    table: str,
    extra_columns: dict[str, str] | None = None,
    columns: dict[str, str] = SOURCE_COLUMNS,
) -> str:
    """`create table if not exists` for rows of a CSV file (`columns`) plus extra columns."""
    declared = {**columns, **(extra_columns or {})}
    return (
        f"create table if not exists {table} ({', '.join(f'{n} {t}' for n, t in declared.items())})"
    )


def list_source_files(folder: Path | None = None) -> list[str]:
    """The CSV file names in the source folder, sorted."""
    folder = folder or settings.source_dir()
    if not folder.is_dir():
        return []
    return sorted(path.name for path in folder.glob("*.csv") if path.is_file())


def resolve_source_file(name: str, folder: Path | None = None) -> Path:
    """The absolute path of `name` inside the source folder, or a clear `dg.Failure`.

    Refuses names that climb out of the folder (`../secrets.csv`, absolute
    paths), and names the files that do exist when the one asked for does not.
    """
    folder = (folder or settings.source_dir()).resolve()
    candidate = (folder / name).resolve()
    if not candidate.is_relative_to(folder):
        raise dg.Failure(
            description=(
                f"The file name {name!r} points outside the source folder {folder}. "
                "Give a plain file name from that folder, for example 2018-01-22.csv."
            ),
            metadata={"source_folder": str(folder)},
        )
    if not candidate.is_file():
        available = list_source_files(folder)
        listing = ", ".join(available) if available else "none: the folder is empty or missing"
        raise dg.Failure(
            description=(
                f"There is no file {name!r} in the source folder {folder}. "
                f"Files that exist there: {listing}."
            ),
            metadata={"source_folder": str(folder), "available_files": available},
        )
    return candidate


def _rng_for(date: str, salt: str = "") -> random.Random:
    digest = hashlib.sha256(f"dagster-and-etl:{date}:{salt}".encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def default_row_count(date: str) -> int:
    """How many rows the course file for `date` has (between 8 and 16)."""
    return _rng_for(date, "rows").randint(8, 16)


def opening_price(date: str) -> float:
    """The day's first price: a seeded random walk from 2018-01-01, so days follow on."""
    day = dt.date.fromisoformat(date)
    start = dt.date(2018, 1, 1)
    price = 300.0
    for offset in range(abs((day - start).days)):
        step = _rng_for((start + dt.timedelta(days=offset)).isoformat(), "day").gauss(0, 0.015)
        price = max(1.0, price * (1 + step if day >= start else 1 - step))
    return price


def generate_rows(date: str, rows: int):
    """Yield `rows` deterministic trading records for `date`, as CSV-ready tuples.

    `share_price` is the closing price, `spend` the opening price, `shift` the
    high and `spread` the low of the interval, and `amount` the shares traded.
    """
    rng = _rng_for(date)
    price = opening_price(date)  # also fails early on a malformed date
    for _ in range(rows):
        opening = price
        price = max(1.0, price * (1 + rng.gauss(0, 0.01)))
        high = max(opening, price) * (1 + abs(rng.gauss(0, 0.004)))
        low = min(opening, price) * (1 - abs(rng.gauss(0, 0.004)))
        amount = rng.randint(200_000, 9_000_000)
        yield (date, f"{price:.2f}", amount, f"{opening:.2f}", f"{high:.2f}", f"{low:.2f}")


def generate_file(
    date: str, folder: Path, rows: int | None = None, name: str | None = None
) -> Path:
    """Write the source file for `date` into `folder` and return its path.

    The rows go to a temporary name first, so a bad date or an interrupted run
    never leaves a half-written CSV where a sensor or a load could pick it up.
    """
    dt.date.fromisoformat(date)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{date}.csv")
    partial = path.with_name(path.name + ".part")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SOURCE_COLUMNS)
        count = rows if rows is not None else default_row_count(date)
        writer.writerows(generate_rows(date, count))
    partial.replace(path)
    return path
