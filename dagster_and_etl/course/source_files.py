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
import os
import random
import re
import shutil
import time
from pathlib import Path

import dagster as dg
import duckdb

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

    The column types and the CSV dialect are declared rather than sniffed, so a
    malformed value fails loudly, naming its line and column, instead of
    turning a whole column into text. `columns` defaults to the course's source
    files.
    """
    types = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
    dialect = "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"'"
    return f"read_csv({parameter}, {dialect}, columns = {{{types}}})"


# -- malformed files ---------------------------------------------------------------


def csv_problem(error: duckdb.Error, columns: dict[str, str] = SOURCE_COLUMNS) -> dict[str, str]:
    """The line, column and problem in DuckDB's error for a malformed CSV file.

    DuckDB reports them in prose ("CSV Error on Line: 4 ... Error when
    converting column "amount" ..."); this picks them out. Keys are missing
    when DuckDB did not say.
    """
    text = str(error)
    found: dict[str, str] = {}
    if match := re.search(r"CSV Error on Line: (\d+)", text):
        found["line"] = match[1]
    if match := re.search(r"Original Line: (.*)", text):
        found["content"] = match[1].strip()
    names = list(columns)
    if match := re.search(r'Error when converting column "([^"]+)"\. (.*)', text):
        found["column"], found["problem"] = match[1], match[2].strip()
    elif match := re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text):
        expected, actual = int(match[1]), int(match[2])
        if actual < expected:
            found["column"] = names[actual] if actual < len(names) else str(actual + 1)
            found["problem"] = (
                f"the row has {actual} values, not {expected}: {found['column']} is missing"
            )
        else:
            found["column"] = f"{expected + 1} (after {names[-1]})"
            found["problem"] = f"the row has {actual} values, not {expected}"
    elif "unterminated quote" in text:
        content = found.get("content", "")
        index = content[: content.find('"')].count(",") if '"' in content else 0
        found["column"] = names[min(index, len(names) - 1)]
        found["problem"] = "a value opens a quote that never closes"
    else:
        found["problem"] = text.splitlines()[0]
    return found


def malformed_file_failure(
    source: str, problem: dict[str, str], *, action: str = "loaded"
) -> dg.Failure:
    """A `dg.Failure` for a malformed source file that names the file, the line and the column."""
    where = ", ".join(
        part
        for part in (
            f"line {problem['line']}" if "line" in problem else "",
            f"column {problem['column']}" if "column" in problem else "",
        )
        if part
    )
    content = f" The line reads: {problem['content']!r}." if problem.get("content") else ""
    return dg.Failure(
        description=(
            f"{source} is malformed{' at ' + where if where else ''}: {problem['problem']}."
            f"{content} Fix the file (or write it again) and run again; nothing was {action}."
        ),
        metadata={"file": source, **{k: v for k, v in problem.items() if k != "problem"}},
    )


def check_header(path: str | Path, columns: dict[str, str] = SOURCE_COLUMNS) -> None:
    """Fail with a clear message when a local CSV file is empty or its header is not `columns`.

    DuckDB takes the declared columns in order and skips the header line
    without reading it, so a file with its columns in another order would
    load into the wrong columns.
    """
    path = Path(path)
    if not path.is_file():  # an s3:// URI: DuckDB's typed read is the check
        return
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        first = handle.readline()
    if not first.strip():
        raise malformed_file_failure(
            str(path), {"line": "1", "problem": "the file is empty; it needs a header and rows"}
        )
    header = next(csv.reader([first]))
    expected = list(columns)
    if [name.strip() for name in header] != expected:
        position = next(
            (i for i, (a, b) in enumerate(zip(header, expected, strict=False)) if a.strip() != b),
            min(len(header), len(expected)),
        )
        column = expected[position] if position < len(expected) else header[position]
        raise malformed_file_failure(
            str(path),
            {
                "line": "1",
                "column": column,
                "content": first.strip(),
                "problem": f"the header should be {','.join(expected)}",
            },
        )


# -- parsing once ------------------------------------------------------------------

PARSED_FOLDER = "parsed"
KEEP_PARSED_SECONDS = 24 * 3600  # copies left by runs that stopped half-way


def parsed_copy_path(run_id: str, source: str) -> Path:
    """Where a run keeps its parsed copy of `source`: staging/parsed/<run id>/<name>.parquet."""
    name = re.sub(r"[^\w.-]", "_", str(source).rstrip("/").rsplit("/", 1)[-1]) or "file"
    return settings.staging_dir() / PARSED_FOLDER / run_id / f"{name}.parquet"


def parsed_copy(
    run_id: str,
    source: str,
    conn: duckdb.DuckDBPyConnection | None = None,
    columns: dict[str, str] = SOURCE_COLUMNS,
) -> Path:
    """`source` parsed once per run, with the declared types, into a Parquet file.

    The first step of a run that asks (lesson 2's check) parses the CSV file;
    the next (the load) gets the same Parquet file back. A malformed or empty
    file fails with a `dg.Failure` naming the file, the line and the column.
    `conn` is only needed for sources a plain DuckDB cannot read (s3:// with
    httpfs loaded); it is left with `preserve_insertion_order` off.
    """
    target = parsed_copy_path(run_id, source)
    if target.exists():
        return target
    _remove_old_parsed_copies()
    check_header(source, columns)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    own = conn is None
    conn = duckdb.connect() if own else conn
    # The copy's rows need no particular order, and without one DuckDB parses
    # and writes on every core at once.
    conn.execute("set preserve_insertion_order = false")
    try:
        # Uncompressed and without dictionaries: the copy lives for one run, and
        # writing it should cost as little as possible next to parsing the CSV.
        [(rows,)] = conn.execute(
            f"copy (select * from {read_csv_sql('$source', columns)}) to $target "
            "(format parquet, compression uncompressed, dictionary_size_limit 1)",
            {"source": str(source), "target": str(partial)},
        ).fetchall()
    except duckdb.Error as error:
        partial.unlink(missing_ok=True)
        raise malformed_file_failure(str(source), csv_problem(error, columns)) from None
    finally:
        if own:
            conn.close()
    if rows == 0:
        partial.unlink(missing_ok=True)
        raise malformed_file_failure(
            str(source), {"line": "2", "problem": "the file has a header but no rows"}
        )
    os.replace(partial, target)
    return target


def discard_parsed_copies(run_id: str) -> None:
    """Delete a run's parsed copies: after the load, or when a check stops the run."""
    shutil.rmtree(settings.staging_dir() / PARSED_FOLDER / run_id, ignore_errors=True)


def _remove_old_parsed_copies() -> None:
    folder = settings.staging_dir() / PARSED_FOLDER
    if not folder.is_dir():
        return
    cutoff = time.time() - KEEP_PARSED_SECONDS
    for run_folder in folder.iterdir():
        try:
            if run_folder.stat().st_mtime < cutoff:
                shutil.rmtree(run_folder, ignore_errors=True)
        except OSError:
            pass


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
