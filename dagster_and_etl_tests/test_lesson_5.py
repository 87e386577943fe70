"""Lesson 5: dlt on its own and inside Dagster, checked on the tables dlt creates."""

from __future__ import annotations

import datetime as dt
import re

import dagster as dg
import pytest
from dagster_dlt import DagsterDltResource, dlt_assets

from dagster_and_etl.course import runs, settings, warehouse
from dagster_and_etl.course.dlt_pipelines import course_pipeline
from dagster_and_etl.lesson_5.sources import simple_source
from dagster_and_etl_tests.conftest import expected_asteroids, nasa_resource, read_source_rows

PAGE = "lessons/lesson_5_dlt.md"


@pytest.fixture(autouse=True)
def private_dlt_state(tmp_path, monkeypatch, duckdb_path):
    """Each test gets its own dlt state folder (and, through duckdb_path, its own DuckDB file)."""
    monkeypatch.setenv("COURSE_DLT_DIR", str(tmp_path / "dlt_pipelines"))
    return tmp_path / "dlt_pipelines"


@pytest.fixture
def defs(load_lesson) -> dg.Definitions:
    return load_lesson(5)


def column_types(duckdb_path, schema: str, table: str) -> dict[str, str]:
    return dict(
        warehouse.fetch(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, table],
            database=duckdb_path,
        )
    )


def asset_key_loading(defs: dg.Definitions, table: str) -> str:
    """The key of the dlt asset that loads `table` (names depend on source and resource)."""
    keys = [
        key.to_user_string()
        for key in defs.resolve_asset_graph().get_all_asset_keys()
        if key.to_user_string().startswith("dlt_") and key.to_user_string().endswith(table)
    ]
    assert len(keys) == 1, f"expected one dlt asset loading {table}, found {keys} ({PAGE})"
    return keys[0]


@pytest.mark.section("Step 1: a dlt quick start")
@pytest.mark.solution_only
def test_the_quick_start_script_loads_the_records(duckdb_path, private_dlt_state, capsys):
    """the quick start script loads the three records into simple.customers."""
    from dagster_and_etl.lesson_5 import dlt_quick_start
    from dagster_and_etl.lesson_5.sources import SIMPLE_RECORDS

    dlt_quick_start.main()
    rows = warehouse.fetch(
        "select id, name, score from simple.customers order by id", database=duckdb_path
    )
    assert rows == [(r["id"], r["name"], r["score"]) for r in SIMPLE_RECORDS]
    assert column_types(duckdb_path, "simple", "customers")["score"] == "DOUBLE"
    assert private_dlt_state.joinpath("simple_pipeline").is_dir()
    assert str(duckdb_path) in capsys.readouterr().out


def page_quick_start_command() -> str:
    """The Python that Step 1 of the page runs on your own simple_source (a heredoc)."""
    page = (settings.PROJECT_ROOT / PAGE).read_text(encoding="utf-8")
    [script] = re.findall(r"python - <<'EOF'\n(.*?)\nEOF\n", page, re.DOTALL)
    return script


@pytest.mark.section("Step 1: a dlt quick start")
def test_the_quick_start_command_on_the_page_loads_your_records(
    target, duckdb_path, private_dlt_state
):
    """Step 1's command runs the quick start on your simple_source: customers with ids and names."""
    script = page_quick_start_command()
    assert "dagster_and_etl.defs.lesson_5.sources" in script, "the page runs your own source"
    if target == "solution":
        script = script.replace("dagster_and_etl.defs.lesson_5.", "dagster_and_etl.lesson_5.")
    exec(compile(script, PAGE, "exec"), {})
    rows = warehouse.fetch(
        "select id, name from simple.customers order by id", database=duckdb_path
    )
    assert rows, f"simple_source yielded no customers ({PAGE}, Step 1: a dlt quick start)"
    assert all(id_ is not None and name for id_, name in rows), (
        f"every customer needs an id and a name, found {rows} ({PAGE}, Step 1: a dlt quick start)"
    )
    assert private_dlt_state.joinpath("simple_pipeline").is_dir()


@pytest.mark.section("Step 2: dlt assets in Dagster")
def test_dlt_assets_load_the_simple_source(defs, duckdb_path):
    """the dlt asset loads the simple source's customers, and a second run adds nothing."""
    key = asset_key_loading(defs, "customers")
    runs.materialize(defs, [key])
    runs.materialize(defs, [key])  # merged on id: a second run adds nothing
    rows = warehouse.fetch(
        "select id, name from simple.customers order by id", database=duckdb_path
    )
    names = [name for _, name in rows]
    assert names == ["Alice", "Bob", "Chandra"], (
        f"simple.customers holds {names} after two runs, not Alice, Bob and Chandra once each"
    )
    types = column_types(duckdb_path, "simple", "customers")
    assert (types.get("id"), types.get("name")) == ("BIGINT", "VARCHAR"), (
        f"simple.customers' id and name are {types.get('id')} and {types.get('name')}"
    )


@pytest.mark.section("Step 2: dlt assets in Dagster")
def test_a_source_made_once_at_import_fails_its_second_run(duckdb_path):
    """What lesson 5, Step 2 says happens when the body reuses the decorator's source."""

    @dlt_assets(
        dlt_source=simple_source(),
        dlt_pipeline=course_pipeline("reused_pipeline", dataset_name="reused"),
        name="reused_source_assets",
    )
    def reused_source_assets(context, dlt: DagsterDltResource):
        yield from dlt.run(context=context)  # the source and pipeline made at import

    def run() -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [reused_source_assets], resources={"dlt": DagsterDltResource()}, raise_on_error=False
        )

    assert run().success
    second = run()
    assert not second.success
    [failure] = [event for event in second.all_events if event.is_step_failure]
    error = failure.step_failure_data.error
    while error.cause is not None and "PipelineStepFailed" not in error.cls_name:
        error = error.cause
    assert "step=extract" in error.message
    assert "KeyError" in error.message and "'name'" in error.message


@pytest.mark.section("Step 2: dlt assets in Dagster")
def test_the_dlt_progress_reaches_the_run_logs(defs, instance):
    """dlt's progress appears in the run's logs."""
    key = asset_key_loading(defs, "customers")
    result = runs.materialize(defs, [key], instance=instance)
    records = instance.all_logs(result.run_id)
    messages = [record.user_message for record in records if record.dagster_event is None]
    assert any("Load simple_source" in message or "Normalize" in message for message in messages), (
        "dlt's progress should be logged to the run (pass a progress collector to the pipeline)"
    )


@pytest.mark.section("Step 3: the CSV pipeline on dlt")
@pytest.mark.parametrize("date", ["2018-01-22", "2018-01-24"])
def test_csv_through_dlt_equals_the_source_file(defs, duckdb_path, date):
    """a CSV file loaded through dlt holds exactly the file's rows."""
    key = asset_key_loading(defs, "share_prices")
    runs.materialize(defs, ["import_file", key], run_config=runs.file_run_config(f"{date}.csv"))
    source = read_source_rows(settings.DEFAULT_SOURCE_DIR / f"{date}.csv")
    rows = warehouse.fetch(
        "select date, share_price, amount, spend, shift, spread from csv_data.share_prices "
        "order by all",
        database=duckdb_path,
    )
    expected = sorted(
        (
            dt.date.fromisoformat(r["date"]),
            float(r["share_price"]),
            int(r["amount"]),
            float(r["spend"]),
            float(r["shift"]),
            float(r["spread"]),
        )
        for r in source
    )
    assert rows == expected, (
        f"csv_data.share_prices holds {len(rows)} rows, not the {len(expected)} rows of {date}.csv"
    )


@pytest.mark.section("Step 3: the CSV pipeline on dlt")
def test_csv_types_are_pinned_not_left_as_text(defs, duckdb_path):
    """the CSV's columns land as DATE, DOUBLE and BIGINT, not text."""
    key = asset_key_loading(defs, "share_prices")
    runs.materialize(defs, ["import_file", key], run_config=runs.file_run_config("2018-01-23.csv"))
    types = column_types(duckdb_path, "csv_data", "share_prices")
    got = {name: types.get(name) for name in ("date", "share_price", "amount")}
    assert got == {"date": "DATE", "share_price": "DOUBLE", "amount": "BIGINT"}, (
        f"csv_data.share_prices' columns are typed {got}: pin the types with column hints"
    )


@pytest.mark.section("Step 6: write dispositions")
def test_reloading_a_csv_file_replaces_its_days(defs, duckdb_path):
    """reloading a CSV file replaces its days' rows."""
    key = asset_key_loading(defs, "share_prices")
    for date in ["2018-01-22", "2018-01-23", "2018-01-22"]:
        runs.materialize(defs, ["import_file", key], run_config=runs.file_run_config(f"{date}.csv"))
    counts = dict(
        warehouse.fetch(
            "select strftime(date, '%Y-%m-%d'), count(*) from csv_data.share_prices group by 1",
            database=duckdb_path,
        )
    )
    wanted = {
        day: len(read_source_rows(settings.DEFAULT_SOURCE_DIR / f"{day}.csv"))
        for day in ["2018-01-22", "2018-01-23"]
    }
    assert counts == wanted, (
        f"after loading the 22nd, the 23rd and the 22nd again, rows by date are {counts}, "
        f"not {wanted}: a reload replaces its days (merge on date, delete-insert)"
    )


@pytest.mark.section("Step 4: the translator")
def test_the_dlt_csv_asset_depends_on_import_file(defs):
    """the dlt CSV asset depends on import_file."""
    key = asset_key_loading(defs, "share_prices")
    node = defs.resolve_asset_graph().get(dg.AssetKey.from_user_string(key))
    assert dg.AssetKey("import_file") in node.parent_keys, f"use a DagsterDltTranslator ({PAGE})"


def nasa_run(defs, resource, date, **kwargs):
    return runs.materialize(
        defs,
        ["dlt_nasa"],
        resources={"nasa": resource},
        run_config={"ops": {"dlt_nasa": {"config": {"date": date}}}},
        **kwargs,
    )


def loaded_asteroids(duckdb_path, table="asteroids") -> list[tuple]:
    return warehouse.fetch(
        "select id, name, absolute_magnitude_h, is_potentially_hazardous_asteroid "
        f"from nasa_neo.{table} order by all",
        database=duckdb_path,
    )


@pytest.mark.section("Step 6: write dispositions")
def test_dlt_nasa_loads_the_servers_objects_once(defs, duckdb_path, server):
    """dlt_nasa loads the day's objects once, however often it runs."""
    resource = nasa_resource(defs, server)
    nasa_run(defs, resource, "2025-04-02")
    wanted = expected_asteroids("2025-04-01")
    assert loaded_asteroids(duckdb_path) == wanted, "nasa_neo.asteroids is not the day's objects"
    nasa_run(defs, resource, "2025-04-02")  # the same day again: merged, not appended
    again = loaded_asteroids(duckdb_path)
    assert again == wanted, (
        f"nasa_neo.asteroids holds {len(again)} rows after running the day twice, not its "
        f"{len(wanted)} objects: merge on a primary key"
    )
    nasa_run(defs, resource, "2025-04-03")
    assert len(loaded_asteroids(duckdb_path)) == len(expected_asteroids("2025-04-01")) + len(
        expected_asteroids("2025-04-02")
    )


@pytest.mark.section("Step 5: the NASA pipeline on dlt")
def test_dlt_nasa_partition_loads_its_day_once(defs, duckdb_path, server, instance):
    """each dlt_nasa_partition day loads its objects once."""
    resources = {"nasa": nasa_resource(defs, server)}
    for day in ["2025-04-05", "2025-04-06", "2025-04-05"]:
        runs.materialize(
            defs, ["dlt_nasa_partition"], resources=resources, partition_key=day, instance=instance
        )
    rows = loaded_asteroids(duckdb_path, "asteroids_by_day")
    wanted = sorted(expected_asteroids("2025-04-05") + expected_asteroids("2025-04-06"))
    assert rows == wanted, (
        f"nasa_neo.asteroids_by_day holds {len(rows)} rows after two days, one run twice, "
        f"not the {len(wanted)} objects of the two days"
    )


@pytest.mark.section("Step 5: the NASA pipeline on dlt")
def test_dlt_nasa_partition_runs_daily_on_its_own(defs):
    """dlt_nasa_partition has a daily on_cron automation condition."""
    asset = defs.resolve_assets_def("dlt_nasa_partition")
    condition = asset.automation_conditions_by_key[dg.AssetKey("dlt_nasa_partition")]
    assert condition is not None, (
        f"give dlt_nasa_partition an on_cron automation condition ({PAGE})"
    )
    assert "@daily" in str(condition) or "0 0 * * *" in str(condition)


@pytest.mark.section("Step 5: the NASA pipeline on dlt")
def test_an_api_failure_fails_clearly_and_loads_nothing(defs, duckdb_path, server):
    """an API failure fails the run with the API's message and loads nothing."""
    server.fail_next(503, times=50)
    result = nasa_run(
        defs, nasa_resource(defs, server, max_attempts=2), "2025-04-02", raise_on_error=False
    )
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.to_string()
    assert "503" in message
    assert "2025-04-01" in message
    tables = (
        warehouse.fetch(
            "select table_name from information_schema.tables where table_schema = 'nasa_neo'",
            database=duckdb_path,
        )
        if duckdb_path.exists()
        else []
    )
    assert ("asteroids",) not in tables


@pytest.mark.section("Step 5: the NASA pipeline on dlt")
def test_an_api_failure_shows_the_apis_message_not_dlts(defs, duckdb_path, server):
    """an API failure inside dlt surfaces as the resource's own error, naming the status
    first, not as dlt's PipelineStepFailed."""
    server.fail_next(503, times=50)
    result = nasa_run(
        defs, nasa_resource(defs, server, max_attempts=2), "2025-04-02", raise_on_error=False
    )
    assert not result.success, "the run succeeded although the API kept answering 503"
    [failure] = [event for event in result.all_events if event.is_step_failure]
    error = failure.step_failure_data.error
    first = (error.message or "").strip().splitlines()[0] if error.message else ""
    assert "PipelineStepFailed" not in (error.cls_name or "") and "503" in first, (
        f"the run's error is {error.cls_name}: {first[:120]!r}; catch dlt's PipelineStepFailed "
        "and re-raise the resource's error inside it"
    )


@pytest.mark.section("Step 2: dlt assets in Dagster")
def test_each_run_builds_a_fresh_source_and_pipeline(defs, duckdb_path, tmp_path, monkeypatch):
    """two runs in one process each load their rows: every run builds a fresh source and
    pipeline, reading the settings of the moment."""
    key = asset_key_loading(defs, "customers")
    runs.materialize(defs, [key])
    second = tmp_path / "second.duckdb"
    monkeypatch.setenv("DUCKDB_DATABASE", str(second))
    runs.materialize(defs, [key])
    rows = (
        warehouse.fetch("select id from simple.customers order by id", database=second)
        if second.exists()
        else []
    )
    assert [id_ for (id_,) in rows] == [1, 2, 3], (
        f"the second run loaded {len(rows)} customers into DUCKDB_DATABASE's new file: build "
        "the source and the pipeline inside the asset, once per run"
    )


@pytest.mark.section("One writer at a time")
def test_the_duckdb_writers_share_a_pool(defs):
    """every asset that writes to DuckDB runs in the duckdb pool."""
    for key in ["dlt_nasa", "dlt_nasa_partition", asset_key_loading(defs, "share_prices")]:
        asset = defs.resolve_assets_def(key)
        assert asset.op.pool == "duckdb", f"{key} must be limited by the duckdb pool ({PAGE})"


# Optional: incremental loading with dlt (lesson 5, Step 6) ---------------------


@pytest.mark.section("Step 6: write dispositions")
def test_the_incremental_source_asks_only_for_days_after_the_last_load(duckdb_path):
    """the incremental NeoWs source asks only for the days after the last load."""
    from dagster_and_etl.course.nasa_server import asteroids_for
    from dagster_and_etl.lesson_5.incremental import nasa_neo_incremental_source

    asked: list[str] = []

    def fetch_day(day: str) -> list[dict]:
        asked.append(day)
        return asteroids_for(dt.date.fromisoformat(day))

    def load(until: str) -> None:
        pipeline = course_pipeline("nasa_incremental", dataset_name="nasa_incremental")
        pipeline.run(nasa_neo_incremental_source(fetch_day, until=until))

    load("2025-04-03")
    assert asked == ["2025-04-01", "2025-04-02", "2025-04-03"]
    asked.clear()
    load("2025-04-05")
    assert asked == ["2025-04-03", "2025-04-04", "2025-04-05"]  # from the newest day loaded
    rows = warehouse.fetch(
        "select strftime(approach_date, '%Y-%m-%d'), count(*) "
        "from nasa_incremental.asteroids_incremental group by 1 order by 1",
        database=duckdb_path,
    )
    days = [f"2025-04-0{n}" for n in range(1, 6)]
    assert rows == [(day, len(asteroids_for(dt.date.fromisoformat(day)))) for day in days]


@pytest.mark.section("Step 3: the CSV pipeline on dlt")
def test_a_frozen_schema_contract_refuses_a_new_column(duckdb_path):
    """Lesson 5, Step 3: by default dlt adds a column for a new field; frozen, it refuses."""
    import dlt
    from dlt.pipeline.exceptions import PipelineStepFailed

    from dagster_and_etl.lesson_5.sources import SIMPLE_RECORDS

    @dlt.source(name="simple_source")
    def with_a_new_field():
        @dlt.resource(name="customers", primary_key="id", write_disposition="merge")
        def customers():
            yield {**SIMPLE_RECORDS[0], "tier": "gold"}

        return customers

    pipeline = course_pipeline("contract_pipeline", dataset_name="contract")
    pipeline.run(simple_source())
    with pytest.raises(PipelineStepFailed) as failure:
        pipeline.run(with_a_new_field(), schema_contract={"columns": "freeze"})
    assert "tier" in str(failure.value)
    assert "tier" not in column_types(duckdb_path, "contract", "customers")

    # Without a contract (dlt's default, "evolve"), the new field becomes a column.
    evolving = course_pipeline("evolving_pipeline", dataset_name="evolving")
    evolving.run(simple_source())
    evolving.run(with_a_new_field())
    assert column_types(duckdb_path, "evolving", "customers")["tier"] == "VARCHAR"
