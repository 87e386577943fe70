"""Benchmarks for the places where learners wait, each against its reference.

    course bench            # lesson 2's import at scale
    course bench --dev      # also: the UI's start
    course bench --suite    # also: the whole test suite

- **Lesson 2 at scale.** The full import of a 1,000,000-row file
  (`import_file`, the blocking `invalid_share_price` check and `duckdb_table`,
  run in process as the notebooks and tests run it) against a raw DuckDB load
  of the same file (`create table ... as select * from read_csv(...)` with the
  same declared types). Both as marginal time: the median run on the big file
  minus the median run on a 10-row file, which is what a run costs whatever
  its size. Target: at most 1.2 times the raw load.

  Two more figures put that ratio in context. *DuckDB's default load*
  (`create table ... as select * from read_csv(path)`, the types sniffed) is
  what a raw load is without the course's declared types. *The hand-off
  floor* is the raw load plus the cheapest way found to pass parsed rows from
  one step to another: writing them to an uncompressed Parquet file, as
  lesson 2's `parsed_copy` does, and reading them back (in DuckDB, no
  Dagster; a DuckDB database file and Arrow
  IPC through pyarrow were both slower). Any design whose check is a step of
  its own, before the load, pays at least that much.
- **The UI's start** (`--dev`): seconds until `course dev 2 --solution`
  answers, against a bare `dagster dev -m dagster_and_etl.lesson_2.definitions`.
- **The suite** (`--suite`): `python -m pytest` from the repository root,
  notebooks included, against a budget of 180 seconds.

Timings are only comparable on a quiet machine with compiled bytecode
(`python -m compileall -q .venv/lib`); the load average is printed with them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import click

from dagster_and_etl.course import settings

IMPORT_TARGET = 1.2
SUITE_BUDGET_SECONDS = 180.0
# How each import figure is summarised over the runs, and its label.
MEASURES = (("median", "wall, median"), ("min", "wall, minimum"), ("cpu", "CPU, median"))


def _timed(action: Callable[[], None]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of `action` (CPU: this process, every thread)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def _fresh(path: Path) -> Path:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    return path


def bench_import(rows: int, repeat: int) -> dict[str, float]:
    """Marginal seconds of lesson 2's full import and of a raw DuckDB load, and their ratio."""
    import duckdb

    from dagster_and_etl.course import locations, runs
    from dagster_and_etl.course.source_files import (
        SOURCE_COLUMNS,
        discard_parsed_copies,
        generate_file,
        parsed_copy,
        read_csv_sql,
    )

    with tempfile.TemporaryDirectory(prefix="course-bench-") as scratch:
        folder = Path(scratch)
        source = folder / "source"
        big = generate_file("2018-01-25", source, rows=rows)
        small = generate_file("2018-01-26", source, rows=10)
        os.environ["COURSE_SOURCE_DIR"] = str(source)
        os.environ["COURSE_STAGING_DIR"] = str(folder / "staging")
        database = folder / "bench.duckdb"
        defs = locations.load_location(2, solution=True)
        resource_class = type(defs.resources["database"])  # the lesson's own

        def full_import(path: Path) -> Callable[[], None]:
            def run() -> None:
                runs.materialize(
                    defs,
                    ["import_file", "duckdb_table"],
                    resources={"database": resource_class(database=str(_fresh(database)))},
                    run_config=runs.file_run_config(path.name),
                )

            return run

        def raw_load(path: Path, declared: bool = True) -> Callable[[], None]:
            reader = read_csv_sql() if declared else "read_csv(?)"

            def run() -> None:
                with duckdb.connect(str(_fresh(database))) as conn:
                    conn.execute(f"create table raw_data as select * from {reader}", [str(path)])

            return run

        every_column = ", ".join(f"max({column})" for column in SOURCE_COLUMNS)

        def parse(path: Path, handoff: bool) -> Callable[[], None]:
            """Parsing alone, or the lesson's own parsed copy written and then read back."""

            def run() -> None:
                source, parameters = read_csv_sql(), [str(path)]
                if handoff:
                    source, parameters = "read_parquet(?)", [str(parsed_copy("bench", str(path)))]
                with duckdb.connect() as conn:
                    conn.execute("set preserve_insertion_order = false")
                    conn.execute(f"select {every_column} from {source}", parameters).fetchall()
                discard_parsed_copies("bench")

            return run

        for warm_up in (full_import(small), raw_load(small), raw_load(big), full_import(big)):
            warm_up()
        with duckdb.connect(str(database), read_only=True) as conn:
            loaded = conn.execute("select count(*) from raw_data").fetchone()[0]
        assert loaded == rows, f"the import loaded {loaded} rows, not {rows}"
        # Interleaved, so a change in the machine's load hits every measurement alike.
        actions = {
            "import": full_import(big),
            "import_small": full_import(small),
            "raw": raw_load(big),
            "raw_small": raw_load(small),
            "default": raw_load(big, declared=False),
            "default_small": raw_load(small, declared=False),
            "parse": parse(big, handoff=False),
            "parse_small": parse(small, handoff=False),
            "handoff": parse(big, handoff=True),
            "handoff_small": parse(small, handoff=True),
        }
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in actions}
        for _ in range(repeat):
            for name, action in actions.items():
                samples[name].append(_timed(action))
    result: dict[str, float] = {}
    # Wall time is what a learner waits; the minimum is the run least disturbed by
    # other work on the machine. CPU time (all threads) is what the work costs,
    # whatever else runs, so its ratio holds on a busy machine too.
    for measure, index, pick in (
        ("median", 0, statistics.median),
        ("min", 0, min),
        ("cpu", 1, statistics.median),
    ):
        figures = {name: pick(value[index] for value in values) for name, values in samples.items()}
        marginal_import = figures["import"] - figures["import_small"]
        marginal_raw = figures["raw"] - figures["raw_small"]
        result.update({f"{measure}_{name}": value for name, value in figures.items()})
        result[f"{measure}_marginal_import"] = marginal_import
        result[f"{measure}_marginal_raw"] = marginal_raw
        result[f"{measure}_ratio"] = marginal_import / marginal_raw
        marginal_default = figures["default"] - figures["default_small"]
        # What the hand-off adds to parsing: the Parquet file written and read back.
        marginal_handoff = (figures["handoff"] - figures["handoff_small"]) - (
            figures["parse"] - figures["parse_small"]
        )
        result[f"{measure}_marginal_default"] = marginal_default
        result[f"{measure}_default_ratio"] = marginal_import / marginal_default
        result[f"{measure}_marginal_handoff"] = marginal_handoff
        result[f"{measure}_floor"] = (marginal_raw + marginal_handoff) / marginal_raw
    return result


def _seconds_until_answering(command: list[str], port: int, timeout: float = 180.0) -> float:
    """Seconds from starting `command` until the Dagster UI on `port` answers /server_info."""
    with tempfile.TemporaryDirectory(prefix="course-bench-home-") as home:
        env = {**os.environ, "DAGSTER_HOME": home}
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=settings.PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            while time.perf_counter() - started < timeout:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=1):
                        return time.perf_counter() - started
                except OSError:
                    time.sleep(0.1)
            raise TimeoutError(f"{' '.join(command)} did not answer within {timeout:.0f}s")
        finally:
            from dagster_and_etl.course.sling_runs import stop_process_tree

            stop_process_tree(process, grace=10)


def bench_dev(repeat: int) -> dict[str, float]:
    """Median seconds until the UI answers: `course dev 2 --solution` and bare `dagster dev -m`."""
    from dagster_and_etl.course.postgres import free_port

    bin_dir = Path(sys.executable).parent
    commands = {
        "dagster_dev": [
            str(bin_dir / "dagster"), "dev", "-m", "dagster_and_etl.lesson_2.definitions",
        ],
        "course_dev": [sys.executable, "-m", "dagster_and_etl.course", "dev", "2", "--solution"],
    }  # fmt: skip
    results: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            port = free_port()
            results[name].append(_seconds_until_answering([*command, "-p", str(port)], port))
    medians = {name: statistics.median(values) for name, values in results.items()}
    return {**medians, "ratio": medians["course_dev"] / medians["dagster_dev"]}


def bench_suite() -> dict[str, float]:
    """Wall-clock seconds of the whole suite (`python -m pytest`, notebooks included)."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=settings.PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    summary = (completed.stdout.strip().splitlines() or [""])[-1]
    return {"seconds": seconds, "returncode": completed.returncode, "summary": summary}


@click.command()
@click.option("--rows", default=1_000_000, show_default=True, help="Rows in the big file.")
@click.option("--repeat", default=5, show_default=True, help="Runs of each measurement.")
@click.option("--dev", "with_dev", is_flag=True, help="Also time the UI's start.")
@click.option("--suite", "with_suite", is_flag=True, help="Also time the whole test suite.")
def bench(rows: int, repeat: int, with_dev: bool, with_suite: bool) -> None:
    """Measure where learners wait, each figure against its reference, and print the ratios."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    click.echo(f"{os.cpu_count()} cores, load average {load:.2f} at the start")

    result = bench_import(rows, repeat)
    click.echo(f"lesson 2 import of {rows:,} rows, marginal seconds ({repeat} runs of each):")
    for measure, label in MEASURES:
        ratio = result[f"{measure}_ratio"]
        verdict = "ok" if ratio <= IMPORT_TARGET else "over"
        click.echo(
            f"  {label:14s} raw DuckDB load {result[f'{measure}_marginal_raw']:.3f}"
            f" ({result[f'{measure}_raw']:.3f} - {result[f'{measure}_raw_small']:.3f}),"
            f" full import {result[f'{measure}_marginal_import']:.3f}"
            f" ({result[f'{measure}_import']:.3f} - {result[f'{measure}_import_small']:.3f}),"
            f" ratio {ratio:.2f} (target <= {IMPORT_TARGET}: {verdict})"
        )
    click.echo(
        "  in context: the full import against DuckDB's default load (types sniffed),"
        " and the hand-off floor\n  (the raw load plus writing the parsed rows to Parquet"
        " and reading them back, what any separate check step costs at least):"
    )
    for measure, label in MEASURES:
        click.echo(
            f"  {label:14s} default load {result[f'{measure}_marginal_default']:.3f},"
            f" import/default {result[f'{measure}_default_ratio']:.2f};"
            f" hand-off {result[f'{measure}_marginal_handoff']:.3f},"
            f" floor {result[f'{measure}_floor']:.2f}"
        )
    if with_dev:
        dev = bench_dev(max(1, min(repeat, 3)))
        click.echo(
            "UI start, seconds until it answers (median):\n"
            f"  dagster dev -m dagster_and_etl.lesson_2.definitions  {dev['dagster_dev']:.1f}\n"
            f"  course dev 2 --solution                              {dev['course_dev']:.1f}\n"
            f"  ratio                                                {dev['ratio']:.2f}"
        )
    if with_suite:
        suite = bench_suite()
        verdict = "ok" if suite["seconds"] <= SUITE_BUDGET_SECONDS else "over"
        click.echo(
            f"test suite (python -m pytest): {suite['seconds']:.0f} s, "
            f"budget {SUITE_BUDGET_SECONDS:.0f} s: {verdict}; {suite['summary']}"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    click.echo(f"load average {load:.2f} at the end")


if __name__ == "__main__":
    bench()
