"""Lesson 2: a CSV file into DuckDB, with a blocking check. Every test reads the data back."""

from __future__ import annotations

import csv
from pathlib import Path

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course import runs, settings
from dagster_and_etl.course.source_files import COURSE_DATES, read_csv_sql
from dagster_and_etl_tests.conftest import read_source_rows, source_table_rows, typed_source_rows

PAGE = "lessons/lesson_2_file_import.md"
LOAD = ["import_file", "duckdb_table"]


@pytest.fixture
def defs(load_lesson) -> dg.Definitions:
    return load_lesson(2)


def load(defs, database, file_name, **kwargs) -> dg.ExecuteInProcessResult:
    return runs.materialize(
        defs,
        LOAD,
        resources={"database": database},
        run_config=runs.file_run_config(file_name),
        **kwargs,
    )


def raw_rows(duckdb_path: Path, table: str = "raw_data") -> list[tuple]:
    return source_table_rows(duckdb_path, table)


# What raw_data must hold after loading a file, typed as the table declares.
expected_rows = typed_source_rows


def share_price_check(result: dg.ExecuteInProcessResult):
    """The invalid_share_price evaluation of a run (a learner may add other checks)."""
    [evaluation] = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name == "invalid_share_price"
    ]
    return evaluation


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.section("Step 2: a DuckDB resource")
def test_database_resource_is_the_course_duckdb_file(defs):
    """the `database` resource is a DuckDBResource on the course's DuckDB file."""
    resource = defs.resources.get("database")
    assert isinstance(resource, DuckDBResource), (
        f"`database` is a {type(resource).__name__}, not a DuckDBResource (or the course "
        "kit's CourseDuckDBResource)"
    )
    assert Path(resource.database) == settings.duckdb_database(), (
        f"`database` opens {resource.database}, not the course's file from "
        "settings.duckdb_database() (DUCKDB_DATABASE)"
    )


@pytest.mark.section("The asset graph")
def test_asset_graph(defs):
    """duckdb_table depends on import_file, which carries the invalid_share_price check."""
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey("duckdb_table")).parent_keys
    assert dg.AssetKey("import_file") in parents, (
        f"duckdb_table depends on {sorted(k.to_user_string() for k in parents)}, not import_file"
    )
    check_keys = {
        key.name for key in graph.asset_check_keys if key.asset_key == dg.AssetKey("import_file")
    }
    assert "invalid_share_price" in check_keys, (
        f"import_file has the checks {sorted(check_keys)}, not invalid_share_price"
    )
    assert defs.resolve_assets_def("import_file").check_specs_by_output_name is not None


@pytest.mark.section("Step 3: loading the file into DuckDB")
@pytest.mark.parametrize("date", COURSE_DATES)
def test_each_file_loads_exactly_its_rows(defs, database, duckdb_path, date):
    """each source file loads into raw_data exactly its rows, with row count and preview."""
    result = load(defs, database, f"{date}.csv")

    source = settings.DEFAULT_SOURCE_DIR / f"{date}.csv"
    rows, wanted = raw_rows(duckdb_path), expected_rows(source)
    assert rows == wanted, (
        f"raw_data holds {len(rows)} rows after loading {date}.csv, not the file's "
        f"{len(wanted)} rows with their values"
    )
    [materialization] = result.asset_materializations_for_node("duckdb_table")
    assert materialization.metadata["dagster/row_count"].value == len(read_source_rows(source))
    assert len(materialization.metadata["preview"].value.records) == min(
        10, len(read_source_rows(source))
    )


@pytest.mark.section("Step 1: the file to import")
def test_import_file_returns_the_full_path(defs, database):
    """import_file returns the full path of the file inside the source folder."""
    result = runs.materialize(
        defs,
        ["import_file"],
        resources={"database": database},
        run_config=runs.file_run_config("2018-01-23.csv"),
    )
    assert (
        Path(result.output_for_node("import_file"))
        == settings.DEFAULT_SOURCE_DIR / "2018-01-23.csv"
    )


@pytest.mark.section("Step 5: run it twice")
def test_loading_again_leaves_the_same_rows(defs, database, duckdb_path):
    """loading a file again leaves the same rows, and other days' rows stay."""
    load(defs, database, "2018-01-22.csv")
    first = raw_rows(duckdb_path)
    load(defs, database, "2018-01-22.csv")
    again = raw_rows(duckdb_path)
    assert again == first, (
        f"raw_data holds {len(again)} rows after loading 2018-01-22.csv twice; "
        f"a second load must leave the {len(first)} rows of the first (Step 3: delete the "
        "file's dates, then insert, in one transaction)"
    )

    load(defs, database, "2018-01-23.csv")
    load(defs, database, "2018-01-22.csv")
    both = expected_rows(settings.DEFAULT_SOURCE_DIR / "2018-01-22.csv") + expected_rows(
        settings.DEFAULT_SOURCE_DIR / "2018-01-23.csv"
    )
    rows = raw_rows(duckdb_path)
    assert rows == sorted(both), (
        f"raw_data holds {len(rows)} rows after loading the 23rd and the 22nd again, "
        f"not the {len(both)} rows of both files: a load replaces only its file's dates "
        "(Step 3)"
    )


@pytest.mark.section("Step 4: a blocking asset check")
def test_zero_share_price_fails_the_check_and_blocks_the_load(
    defs, database, duckdb_path, source_dir
):
    """a zero and a negative share price fail the check, which names both and blocks the load."""
    load(defs, database, "2018-01-22.csv")
    before = raw_rows(duckdb_path)

    rows = read_source_rows(source_dir / "2018-01-22.csv")
    rows[3]["share_price"] = "0"
    rows[5]["share_price"] = "-4.20"
    write_csv(source_dir / "2018-01-22-bad.csv", rows)

    result = load(defs, database, "2018-01-22-bad.csv", raise_on_error=False)

    evaluation = share_price_check(result)
    assert evaluation.passed is False, "the check passed on a file with a zero and a negative price"
    invalid = evaluation.metadata["invalid_rows"].value
    assert invalid == 2, (
        f"the check counts {invalid} invalid row(s) in a file with 2, a share price of 0 "
        "and one of -4.20: a price of zero is as invalid as a negative one"
    )
    offending = evaluation.metadata["offending_rows"].value.records
    assert sorted(record.data["share_price"] for record in offending) == [-4.2, 0.0]
    assert result.asset_materializations_for_node("duckdb_table") == [], (
        "duckdb_table loaded a file whose check failed: the check must block it"
    )
    assert raw_rows(duckdb_path) == before, "raw_data changed although the check failed"


@pytest.mark.section("Step 4: a blocking asset check")
def test_an_empty_share_price_fails_the_check_and_blocks_the_load(
    defs, database, duckdb_path, source_dir
):
    """a file with an empty share price fails the check, which blocks the load."""
    rows = read_source_rows(source_dir / "2018-01-22.csv")
    rows[4]["share_price"] = ""
    write_csv(source_dir / "2018-01-22-empty.csv", rows)

    result = load(defs, database, "2018-01-22-empty.csv", raise_on_error=False)

    evaluation = share_price_check(result)
    assert evaluation.passed is False, (
        "the check passed on a file with an empty share price: a missing price is invalid too"
    )
    assert result.asset_materializations_for_node("duckdb_table") == [], (
        "duckdb_table loaded a file with an empty share price"
    )
    assert not duckdb_path.exists() or raw_rows(duckdb_path) == [], (
        "raw_data holds rows of a file whose check failed"
    )


@pytest.mark.section("Step 4: a blocking asset check")
def test_check_passes_on_the_course_files(defs, database):
    """the check passes on a course file, with no invalid rows."""
    result = load(defs, database, "2018-01-24.csv")
    evaluation = share_price_check(result)
    assert evaluation.passed is True, "the check failed on 2018-01-24.csv, whose prices are all > 0"
    assert evaluation.metadata["invalid_rows"].value == 0


@pytest.mark.section("Step 1: the file to import")
def test_missing_file_names_the_folder_and_the_files_there(defs, database):
    """a missing file fails with a message naming the source folder and the files in it."""
    result = load(defs, database, "2018-01-30.csv", raise_on_error=False)
    assert not result.success, "a run for the missing file 2018-01-30.csv succeeded"
    message = result.failure_data_for_node("import_file").error.to_string()
    assert str(settings.DEFAULT_SOURCE_DIR) in message, (
        f"the error does not name the source folder: {message.splitlines()[0]}"
    )
    for date in COURSE_DATES:
        assert f"{date}.csv" in message, f"the error does not list {date}.csv, which is there"


@pytest.mark.section("Step 1: the file to import")
@pytest.mark.parametrize("name", ["../staging/data.csv", "../../pyproject.toml", "/etc/passwd"])
def test_a_name_outside_the_source_folder_is_refused(defs, database, name):
    """a file name outside the source folder is refused."""
    result = load(defs, database, name, raise_on_error=False)
    assert not result.success, f"the file name {name!r} was accepted"
    message = result.failure_data_for_node("import_file").error.to_string()
    assert "outside the source folder" in message, (
        f"the error for {name!r} does not say it is outside the source folder: "
        f"{message.splitlines()[0]}"
    )


@pytest.mark.section("Step 3: loading the file into DuckDB")
def test_a_malformed_file_fails_and_keeps_the_table(
    defs, database, duckdb_path, source_dir, instance
):
    """a malformed file fails the run and leaves raw_data as it was."""
    load(defs, database, "2018-01-22.csv", instance=instance)
    before = raw_rows(duckdb_path)

    rows = read_source_rows(source_dir / "2018-01-22.csv")
    rows[2]["amount"] = "lots"
    write_csv(source_dir / "2018-01-22-broken.csv", rows)

    # With its check, the broken file stops at the check.
    result = load(defs, database, "2018-01-22-broken.csv", instance=instance, raise_on_error=False)
    assert not result.success
    assert result.asset_materializations_for_node("duckdb_table") == []

    # Without it (the load run on its own), the load fails and rolls back.
    result = runs.materialize(
        defs,
        ["duckdb_table"],
        resources={"database": database},
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    message = result.failure_data_for_node("duckdb_table").error.to_string()
    assert "2018-01-22-broken.csv" in message
    assert raw_rows(duckdb_path) == before


HEADER = "date,share_price,amount,spend,shift,spread"
GOOD_FILE = str(settings.DEFAULT_SOURCE_DIR / "2018-01-22.csv")
GOOD_ROW = "2018-01-22,301.27,1200000,300.10,302.00,299.50"


def step_failure(result: dg.ExecuteInProcessResult) -> str:
    """What the run's failed step says, as the UI shows it (a dg.Failure's description)."""
    [failure] = [event for event in result.all_events if event.is_step_failure]
    data = failure.step_failure_data
    return data.user_failure_data.description if data.user_failure_data else data.error.message


@pytest.mark.solution_only
@pytest.mark.parametrize(
    "content, line, column",
    [
        (f"{HEADER}\n{GOOD_ROW}\n2018-01-22,301.27,lots,300.10,302.00,299.50\n", 3, "amount"),
        (f"{HEADER}\n2018-01-32,301.27,1200000,300.10,302.00,299.50\n", 2, "date"),
        (f"{HEADER}\n{GOOD_ROW}\n2018-01-22,301.27,1200000,300.10,302.00\n", 3, "spread"),
        (f"{HEADER}\n{GOOD_ROW},7\n", 2, "7 (after spread)"),
        (f'{HEADER}\n2018-01-22,"301.27,1200000,300.10,302.00,299.50\n', 2, "share_price"),
        ("date,amount,share_price,spend,shift,spread\n" + GOOD_ROW + "\n", 1, "share_price"),
        ("", 1, None),
        (f"{HEADER}\n", 2, None),
    ],
    ids=[
        "word-in-a-number",
        "impossible-date",
        "missing-value",
        "extra-value",
        "open-quote",
        "columns-swapped",
        "empty",
        "header-only",
    ],
)
@pytest.mark.section("Step 3: loading the file into DuckDB")
def test_a_malformed_file_names_file_line_and_column_and_changes_nothing(
    defs, database, duckdb_path, source_dir, content, line, column
):
    """a malformed or empty CSV file fails with a message naming the file, the line and the
    column, and the table is left as it was."""
    import duckdb

    with duckdb.connect(str(duckdb_path)) as conn:  # a table that must come out unchanged
        conn.execute(f"create table raw_data as select * from {read_csv_sql()}", [GOOD_FILE])
    before = raw_rows(duckdb_path)
    (source_dir / "bad.csv").write_text(content, encoding="utf-8")

    result = load(defs, database, "bad.csv", raise_on_error=False)
    assert not result.success
    assert result.asset_materializations_for_node("duckdb_table") == []
    message = step_failure(result)
    assert message.startswith(f"{source_dir / 'bad.csv'} is malformed at line {line}")
    if column:
        assert f"column {column}" in message
    assert raw_rows(duckdb_path) == before


@pytest.mark.solution_only
@pytest.mark.section("Step 3: loading the file into DuckDB")
def test_the_load_on_its_own_names_the_line_and_column_too(
    defs, database, duckdb_path, source_dir, instance
):
    """duckdb_table run without its check parses the file itself, and a malformed file fails
    by file, line and column before the table is touched."""
    load(defs, database, "2018-01-22.csv", instance=instance)
    before = raw_rows(duckdb_path)
    rows = read_source_rows(source_dir / "2018-01-22.csv")
    rows[2]["amount"] = "lots"
    write_csv(source_dir / "broken.csv", rows)
    runs.materialize(  # import_file's output is stored; its check fails, as it should
        defs,
        ["import_file"],
        run_config=runs.file_run_config("broken.csv"),
        instance=instance,
        raise_on_error=False,
    )
    result = runs.materialize(
        defs, ["duckdb_table"], resources={"database": database}, instance=instance,
        raise_on_error=False,
    )  # fmt: skip
    message = step_failure(result)
    assert message.startswith(f"{source_dir / 'broken.csv'} is malformed at line 4, column amount")
    assert raw_rows(duckdb_path) == before


@pytest.mark.solution_only
@pytest.mark.section("Step 4: a blocking asset check")
def test_the_file_is_parsed_once_and_the_load_takes_what_the_check_passed(
    defs, database, duckdb_path, source_dir, monkeypatch
):
    """one CSV parse per run; a file changed after the check cannot slip past it."""
    from dagster_and_etl.course import source_files
    from dagster_and_etl.lesson_2.defs import checks

    parses = []
    real_read_csv_sql, real_parsed_copy = source_files.read_csv_sql, checks.parsed_copy

    def counting_read_csv_sql(*args, **kwargs):
        parses.append(args)
        return real_read_csv_sql(*args, **kwargs)

    def parse_then_overwrite(run_id, path, *args, **kwargs):
        parsed = real_parsed_copy(run_id, path, *args, **kwargs)
        rows = read_source_rows(Path(path))
        for row in rows:
            row["share_price"] = "-1"  # would fail the check, had it been read
        write_csv(Path(path), rows)
        return parsed

    monkeypatch.setattr(source_files, "read_csv_sql", counting_read_csv_sql)
    monkeypatch.setattr(checks, "parsed_copy", parse_then_overwrite)
    original = expected_rows(source_dir / "2018-01-23.csv")
    result = load(defs, database, "2018-01-23.csv")

    assert share_price_check(result).passed
    assert len(parses) == 1
    assert raw_rows(duckdb_path) == original
    assert not any((duckdb_path.parent / "staging" / "parsed").glob("*/*"))  # cleaned up


@pytest.mark.solution_only
@pytest.mark.section("Step 2: a DuckDB resource")
def test_a_failed_run_leaves_the_database_open_to_a_plain_read(defs, duckdb_path):
    """the lesson's database resource closes its connection when the asset raises, so a
    read-only connection in the same process works straight away (no garbage collection)."""
    import duckdb

    database = type(defs.resources["database"])(database=str(duckdb_path))
    with duckdb.connect(str(duckdb_path)) as conn:
        conn.execute("create table raw_data (note varchar)")  # not the table the load expects
    result = load(defs, database, "2018-01-22.csv", raise_on_error=False)
    assert not result.success
    assert "Could not load" in step_failure(result)
    with duckdb.connect(str(duckdb_path), read_only=True) as conn:
        assert conn.execute("select count(*) from raw_data").fetchone() == (0,)


# Step 6: the same pipeline on S3, against the local S3 server -----------------

S3_SECTION = "Step 6: the same pipeline on cloud storage"
LOAD_S3 = ["import_file_s3", "duckdb_table_s3"]


def load_s3(defs, database, bucket, key, **kwargs) -> dg.ExecuteInProcessResult:
    return runs.materialize(
        defs,
        LOAD_S3,
        resources={"database": database},
        run_config={"ops": {"import_file_s3": {"config": {"bucket": bucket, "path": key}}}},
        **kwargs,
    )


def bucket_of(s3) -> str:
    return settings.get("COURSE_S3_BUCKET")


@pytest.mark.section(S3_SECTION)
def test_s3_variant_reads_after_a_blocking_check(defs):
    """duckdb_table_s3 reads import_file_s3, which has a blocking check of its own."""
    graph = defs.resolve_asset_graph()
    assert dg.AssetKey("import_file_s3") in graph.get(dg.AssetKey("duckdb_table_s3")).parent_keys
    checks = [
        spec
        for assets_def in graph.assets_defs
        for spec in assets_def.check_specs
        if spec.asset_key == dg.AssetKey("import_file_s3")
    ]
    assert any(spec.blocking for spec in checks), (
        "import_file_s3 should have a blocking check on share prices"
    )


@pytest.mark.section(S3_SECTION)
def test_s3_import_equals_the_local_import_row_for_row(defs, database, duckdb_path, s3):
    """each course file loaded from the local S3 server gives raw_s3_data exactly the rows
    the local import gives raw_data."""
    bucket = bucket_of(s3)
    for date in COURSE_DATES:
        load(defs, database, f"{date}.csv")
        result = load_s3(defs, database, bucket, f"shares/{date}.csv")
        [materialization] = result.asset_materializations_for_node("duckdb_table_s3")
        assert materialization.metadata["dagster/row_count"].value == len(raw_rows(duckdb_path))
    assert raw_rows(duckdb_path, "raw_s3_data") == raw_rows(duckdb_path)
    every_file = sum(
        (expected_rows(settings.DEFAULT_SOURCE_DIR / f"{date}.csv") for date in COURSE_DATES), []
    )
    assert raw_rows(duckdb_path, "raw_s3_data") == sorted(every_file)


@pytest.mark.section(S3_SECTION)
def test_s3_loading_again_leaves_the_same_rows(defs, database, duckdb_path, s3):
    """loading the same S3 object twice leaves the rows of one load."""
    bucket = bucket_of(s3)
    load_s3(defs, database, bucket, "shares/2018-01-23.csv")
    first = raw_rows(duckdb_path, "raw_s3_data")
    load_s3(defs, database, bucket, "shares/2018-01-23.csv")
    again = raw_rows(duckdb_path, "raw_s3_data")
    assert len(again) == len(first), (
        f"raw_s3_data holds {len(again)} rows after loading shares/2018-01-23.csv twice; a "
        f"second load must leave the {len(first)} rows of the first"
    )
    assert again == first, "a second load of the same object changed raw_s3_data's rows"
    assert first == expected_rows(settings.DEFAULT_SOURCE_DIR / "2018-01-23.csv"), (
        "raw_s3_data does not hold the object's rows as the file has them"
    )


@pytest.mark.section(S3_SECTION)
def test_s3_zero_share_price_blocks_the_load(defs, database, duckdb_path, s3, tmp_path):
    """an S3 object with a zero share price fails a blocking check on import_file_s3, and
    raw_s3_data keeps its earlier rows."""
    bucket = bucket_of(s3)
    load_s3(defs, database, bucket, "shares/2018-01-22.csv")
    before = raw_rows(duckdb_path, "raw_s3_data")

    rows = read_source_rows(settings.DEFAULT_SOURCE_DIR / "2018-01-22.csv")
    rows[4]["share_price"] = "0"
    bad = write_csv(tmp_path / "2018-01-22-bad.csv", rows)
    s3.client().upload_file(str(bad), bucket, "shares/2018-01-22-bad.csv")

    result = load_s3(defs, database, bucket, "shares/2018-01-22-bad.csv", raise_on_error=False)
    evaluations = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.asset_key == dg.AssetKey("import_file_s3")
    ]
    assert evaluations, "no check ran on import_file_s3"
    assert not all(evaluation.passed for evaluation in evaluations), (
        "every check on import_file_s3 passed an object with a share price of 0: the S3 "
        "check must apply the same rule as invalid_share_price (Step 4)"
    )
    assert result.asset_materializations_for_node("duckdb_table_s3") == [], (
        "duckdb_table_s3 loaded an object whose check failed: the check must block it"
    )
    assert raw_rows(duckdb_path, "raw_s3_data") == before, (
        "raw_s3_data changed although the check failed"
    )


@pytest.mark.section(S3_SECTION)
@pytest.mark.parametrize("missing", ["key", "bucket"])
def test_s3_missing_object_names_the_bucket_and_the_key(defs, database, duckdb_path, s3, missing):
    """a key (or bucket) that does not exist fails the run with a message that names the
    bucket and the key, and loads nothing."""
    bucket = bucket_of(s3) if missing == "key" else "no-such-bucket-here"
    key = "shares/2018-01-30.csv" if missing == "key" else "shares/2018-01-22.csv"
    result = load_s3(defs, database, bucket, key, raise_on_error=False)
    assert not result.success
    messages = " ".join(
        event.step_failure_data.error.to_string()
        for event in result.all_events
        if event.is_step_failure
    )
    assert bucket in messages
    assert key in messages
    assert result.asset_materializations_for_node("duckdb_table_s3") == []


@pytest.mark.section("Step 4: a blocking asset check")
@pytest.mark.solution_only
def test_row_by_row_and_duckdb_checks_agree(tmp_path):
    """the row-by-row check finds zero and empty share prices."""
    from dagster_and_etl.lesson_2.defs.checks import invalid_share_prices_python

    rows = read_source_rows(settings.DEFAULT_SOURCE_DIR / "2018-01-23.csv")
    assert invalid_share_prices_python(str(settings.DEFAULT_SOURCE_DIR / "2018-01-23.csv")) == []
    rows[0]["share_price"] = "0"
    rows[1]["share_price"] = ""
    bad = write_csv(tmp_path / "bad.csv", rows)
    assert [row["share_price"] for row in invalid_share_prices_python(str(bad))] == ["0", ""]
