"""Lesson 8 (capstone): the sales project, organized, checked on its tables."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course import runs, settings, warehouse
from dagster_and_etl.course.sales_data import CATEGORIES, ORPHAN_PRODUCT_ID, ORPHAN_REP_ID

PAGE = "lessons/lesson_8_capstone.md"
INGESTION = ["products", "sales_reps", "sales_data", "joined_data"]
MONTHS = ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01"]


@pytest.fixture
def sales_dir(tmp_path, monkeypatch) -> Path:
    """A private copy of data/sales/ that tests may change."""
    folder = tmp_path / "sales"
    shutil.copytree(settings.DATA_DIR / "sales", folder)
    monkeypatch.setenv("COURSE_SALES_DIR", str(folder))
    return folder


@pytest.fixture
def defs(load_lesson, sales_dir, duckdb_path) -> dg.Definitions:
    return load_lesson(8)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def ingest(defs, database, **kwargs):
    return runs.materialize(defs, INGESTION, resources={"database": database}, **kwargs)


def dimension_check(result):
    [evaluation] = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "missing_dimension_check"
    ]
    return evaluation


@pytest.mark.section("Step 3: assets by stage")
def test_ingestion_loads_every_row(defs, database, duckdb_path, sales_dir):
    """products, sales_reps and sales_data hold every row of their CSV files."""
    ingest(defs, database)
    for table in ["products", "sales_reps", "sales_data"]:
        count = warehouse.fetch(f"select count(*) from {table}", database=duckdb_path)[0][0]
        wanted = len(csv_rows(sales_dir / f"{table}.csv"))
        assert count == wanted, f"{table} holds {count} rows, not the {wanted} of {table}.csv"
    total = sum(float(row["dollar_amount"]) for row in csv_rows(sales_dir / "sales_data.csv"))
    loaded = warehouse.fetch("select sum(dollar_amount) from sales_data", database=duckdb_path)
    assert loaded[0][0] == pytest.approx(total), (
        f"sales_data's dollar_amount sums to {loaded[0][0]}, not the file's {total:.2f}"
    )


@pytest.mark.section("Step 3: assets by stage")
def test_joined_data_keeps_every_sale_and_names_its_rep_and_product(defs, database, duckdb_path):
    """joined_data keeps every sale and names its rep, product and category."""
    ingest(defs, database)
    joined = warehouse.fetch(
        "select order_id, rep_name, product_name from joined_data order by order_id",
        database=duckdb_path,
    )
    sales = warehouse.fetch("select count(*) from sales_data", database=duckdb_path)[0][0]
    assert len(joined) == sales, (
        f"joined_data holds {len(joined)} rows for {sales} sales: keep sales without a known "
        "rep or product (a left join), so the check can find them"
    )
    row = warehouse.fetch(
        "select rep_name, product_name, category from joined_data where order_id = 1",
        database=duckdb_path,
    )
    assert row == [("Amara Okafor", "Wool socks", "Clothing")], (
        f"order 1 in joined_data reads {row}, not Amara Okafor, Wool socks, Clothing"
    )


@pytest.mark.section("Step 3: assets by stage")
def test_the_check_finds_the_orphans_and_passes_without_them(
    defs, database, duckdb_path, sales_dir
):
    """missing_dimension_check counts the five sales without a known rep or product, and
    passes without them."""
    sales = csv_rows(sales_dir / "sales_data.csv")
    orphans = [
        r for r in sales
        if int(r["rep_id"]) == ORPHAN_REP_ID or int(r["product_id"]) == ORPHAN_PRODUCT_ID
    ]  # fmt: skip
    evaluation = dimension_check(ingest(defs, database))
    assert evaluation.passed is False, "the check passed although five sales lack a rep or product"
    found = evaluation.metadata["sales_missing_a_dimension"].value
    assert found == len(orphans) == 5, (
        f"the check counts {found} sales missing a dimension, not the {len(orphans)} "
        "without a known rep or a known product"
    )

    with (sales_dir / "sales_data.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(sales[0]))
        writer.writeheader()
        writer.writerows(r for r in sales if r not in orphans)
    assert dimension_check(ingest(defs, database)).passed is True, (
        "the check fails on sales that all have a known rep and product"
    )


def monthly(duckdb_path) -> dict[str, float]:
    rows = warehouse.fetch(
        "select month, sum(total_dollar_amount) from monthly_sales_performance group by 1",
        database=duckdb_path,
    )
    return {month: round(total, 2) for month, total in rows}


MONTHLY_ROWS = (
    "select month, rep_name, product_name, total_dollar_amount "
    "from monthly_sales_performance order by all"
)


@pytest.mark.section("Step 3: assets by stage")
def test_each_month_holds_its_slice_and_survives_a_rerun(defs, database, duckdb_path, instance):
    """each month's partition holds that month's sales, and a re-run changes nothing."""
    ingest(defs, database, instance=instance)
    for key in MONTHS:
        runs.materialize(
            defs, ["monthly_sales_performance"], resources={"database": database},
            partition_key=key, instance=instance,
        )  # fmt: skip
    expected = dict(
        warehouse.fetch(
            "select strftime(date, '%Y-%m'), round(sum(dollar_amount), 2) "
            "from joined_data group by 1",
            database=duckdb_path,
        )
    )
    got = monthly(duckdb_path)
    assert got == expected, f"monthly totals are {got}, not {expected} from joined_data"
    before = warehouse.fetch(MONTHLY_ROWS, database=duckdb_path)
    runs.materialize(
        defs, ["monthly_sales_performance"], resources={"database": database},
        partition_key="2024-03-01", instance=instance,
    )  # fmt: skip
    after = warehouse.fetch(MONTHLY_ROWS, database=duckdb_path)
    assert after == before, (
        f"monthly_sales_performance holds {len(after)} rows after re-running 2024-03, "
        f"not the {len(before)} it held: a re-run replaces its month"
    )


@pytest.mark.section("Step 3: assets by stage")
def test_each_category_holds_its_slice(defs, database, duckdb_path, instance):
    """each category's partition holds that category's units, also after a re-run."""
    ingest(defs, database, instance=instance)
    for category in [*CATEGORIES, CATEGORIES[0]]:
        runs.materialize(
            defs, ["product_performance"], resources={"database": database},
            partition_key=category, instance=instance,
        )  # fmt: skip
    got = dict(
        warehouse.fetch(
            "select category, sum(total_units_sold) from product_performance group by 1",
            database=duckdb_path,
        )
    )
    expected = dict(
        warehouse.fetch(
            "select category, sum(quantity) from joined_data where category is not null group by 1",
            database=duckdb_path,
        )
    )
    assert got == expected and set(got) == set(CATEGORIES), (
        f"units by category are {got}, not {expected} from joined_data (one category run twice)"
    )


@pytest.mark.section("Step 2: partitions and resources")
def test_analysis_assets_are_partitioned_and_eager(defs):
    """monthly partitions January to June 2024, and one partition per product category."""
    graph = defs.resolve_asset_graph()
    monthly_node = graph.get(dg.AssetKey("monthly_sales_performance"))
    months = monthly_node.partitions_def.get_partition_keys()
    assert months == MONTHS, f"monthly_sales_performance's partitions are {months}, not {MONTHS}"
    category_node = graph.get(dg.AssetKey("product_performance"))
    categories = set(category_node.partitions_def.get_partition_keys())
    assert categories == set(CATEGORIES), (
        f"product_performance's partitions are {sorted(categories)}, not {sorted(CATEGORIES)}"
    )


@pytest.mark.section("Step 3: assets by stage")
def test_analysis_assets_follow_their_inputs_eagerly(defs):
    """monthly_sales_performance and product_performance have eager automation."""
    graph = defs.resolve_asset_graph()
    for name in ("monthly_sales_performance", "product_performance"):
        condition = graph.get(dg.AssetKey(name)).automation_condition
        assert condition is not None, f"{name} has no automation condition; use eager()"
        assert "eager" in (condition.name or "").lower() or "eager" in str(condition).lower(), (
            f"{name}'s automation condition is {condition.name or condition}, not eager()"
        )


@pytest.mark.section("Step 3: assets by stage")
def test_every_asset_reports_row_count_and_preview(defs, database):
    """every ingestion asset reports dagster/row_count and a preview."""
    result = ingest(defs, database)
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        assert "dagster/row_count" in metadata and "preview" in metadata, (
            f"{event.asset_key.to_user_string()} reports {sorted(metadata)}, "
            "without dagster/row_count and preview"
        )


def request_run(defs, database, request: dict, **kwargs):
    return runs.materialize(
        defs, ["adhoc_request"], resources={"database": database},
        run_config={"ops": {"adhoc_request": {"config": request}}}, **kwargs,
    )  # fmt: skip


@pytest.mark.section("Step 5: the request sensor")
def test_adhoc_request_answers_from_bound_parameters(defs, database, duckdb_path):
    """the sample request's result counts the reps who sold that product in that department."""
    ingest(defs, database)
    request = json.loads(
        (settings.DATA_DIR / "sales" / "sample_request" / "request.json").read_text()
    )
    result = request_run(defs, database, request)
    [event] = result.get_asset_materialization_events()
    expected = warehouse.fetch(
        "select count(distinct rep_name) from joined_data where department = ? and "
        "product_name = ? and date >= ? and date < ?",
        [request["department"], request["product"], request["start_date"], request["end_date"]],
        database=duckdb_path,
    )[0][0]
    assert expected > 0
    got = event.materialization.metadata["dagster/row_count"].value
    assert got == expected, f"the sample request's result has {got} rows, not the {expected} reps"


@pytest.mark.section("Step 5: the request sensor")
@pytest.mark.parametrize(
    "product",
    ["Daniel O'Brien's pick", "x' or '1'='1", "'; drop table sales_data; --"],
)
def test_a_malicious_request_is_treated_as_data(defs, database, duckdb_path, product):
    """a product name with quotes or SQL in it matches nothing and changes nothing."""
    ingest(defs, database)
    before = warehouse.fetch("select count(*) from sales_data", database=duckdb_path)
    request = {"department": "Enterprise", "product": product}
    result = request_run(
        defs, database, {**request, "start_date": "2024-01-01", "end_date": "2024-07-01"}
    )
    assert result.success, f"the request for product {product!r} failed: bind it as a parameter"
    [event] = result.get_asset_materialization_events()
    got = event.materialization.metadata["dagster/row_count"].value
    assert got == 0, f"the product {product!r} matched {got} rows; as a name it matches none"
    assert warehouse.fetch("select count(*) from sales_data", database=duckdb_path) == before, (
        f"sales_data changed after a request for {product!r}"
    )


@pytest.mark.section("Step 5: the request sensor")
def test_a_bad_request_is_refused(defs, database):
    """a request for an unknown department is refused."""
    bad = {
        "department": "Marketing",
        "product": "Hoodie",
        "start_date": "2024-01-01",
        "end_date": "2024-02-01",
    }
    with pytest.raises(Exception, match="department must be one of"):
        request_run(defs, database, bad)


def sensor_tick(defs, cursor=None):
    sensor = defs.resolve_sensor_def("adhoc_request_sensor")
    return sensor(dg.build_sensor_context(cursor=cursor, instance=dg.DagsterInstance.ephemeral()))


def touch(path: Path, seconds_ago: float) -> None:
    stamp = time.time() - seconds_ago
    os.utime(path, (stamp, stamp))


@pytest.mark.section("Step 5: the request sensor")
def test_the_sensor_runs_new_and_changed_requests_once(defs, sales_dir):
    """the sensor runs each new or changed request file once, and nothing on a quiet tick."""
    requests = sales_dir / "requests"
    sample = json.loads((sales_dir / "sample_request" / "request.json").read_text())
    first_request = {**sample, "product": "First product"}
    (requests / "first.json").write_text(json.dumps(first_request))
    (requests / "notes.txt").write_text("not a request")

    first = sensor_tick(defs)
    assert len(first.run_requests) == 1, (
        f"the first tick runs {len(first.run_requests)} requests for one JSON file and a .txt"
    )
    config = first.run_requests[0].run_config["ops"]["adhoc_request"]["config"]
    assert config == first_request, f"the run's config is {config}, not the file's request"

    quiet = sensor_tick(defs, first.cursor)
    assert quiet.run_requests == [], "a quiet tick requests runs although no file changed"

    (requests / "second.json").write_text(json.dumps({**sample, "product": "Second product"}))
    touch(requests / "first.json", 30)  # modified
    changed = sensor_tick(defs, quiet.cursor)
    products = sorted(run_keys_by_file(changed))
    assert products == ["First product", "Second product"], (
        f"after one file changed and one was added, the tick runs {products}"
    )
    assert sensor_tick(defs, changed.cursor).run_requests == [], (
        "the tick after that runs requests again although nothing changed"
    )


def run_keys_by_file(result) -> dict[str, str]:
    """Each requested file's run key; the file is found by its name in the request."""
    keys = {}
    for request in result.run_requests or []:
        config = request.run_config["ops"]["adhoc_request"]["config"]
        keys[config["product"]] = request.run_key
    return keys


@pytest.mark.section("Step 5: the request sensor")
def test_the_sensor_remembers_every_file_across_quiet_ticks(defs, sales_dir):
    """after a quiet tick, the sensor still runs nothing for files it has seen, and runs a
    changed file again under a new run key."""
    requests = sales_dir / "requests"
    sample = json.loads((sales_dir / "sample_request" / "request.json").read_text())
    for product in ["Hoodie", "Desk lamp"]:
        (requests / f"{product}.json").write_text(json.dumps({**sample, "product": product}))
        touch(requests / f"{product}.json", 120)

    first = sensor_tick(defs)
    assert sorted(run_keys_by_file(first)) == ["Desk lamp", "Hoodie"], (
        f"the first tick runs {sorted(run_keys_by_file(first))}, not the two request files"
    )
    cursor = first.cursor
    for number in (2, 3):
        quiet = sensor_tick(defs, cursor)
        assert quiet.run_requests == [], (
            f"quiet tick {number} runs {sorted(run_keys_by_file(quiet))} again: the cursor must "
            "keep every file seen, not only the files run on the last tick"
        )
        cursor = quiet.cursor

    touch(requests / "Hoodie.json", 30)  # saved again
    changed = sensor_tick(defs, cursor)
    assert sorted(run_keys_by_file(changed)) == ["Hoodie"], (
        f"after Hoodie.json changed, the tick runs {sorted(run_keys_by_file(changed))}"
    )
    old, new = run_keys_by_file(first)["Hoodie"], run_keys_by_file(changed)["Hoodie"]
    assert new != old, (
        f"the changed file's run key {old!r} is the one already used, so Dagster would skip "
        "the run: make the run key change with the file"
    )
    after = sensor_tick(defs, changed.cursor)
    assert after.run_requests == [], "the tick after the changed file runs it again"


class RecordingConnection:
    """A DuckDB connection that writes down every SQL text it is given."""

    def __init__(self, conn, statements: list[str]):
        self._conn, self._statements = conn, statements

    def execute(self, sql, *args, **kwargs):
        self._statements.append(str(sql))
        return self._conn.execute(sql, *args, **kwargs)

    def sql(self, sql, *args, **kwargs):
        self._statements.append(str(sql))
        return self._conn.sql(sql, *args, **kwargs)

    def query(self, sql, *args, **kwargs):
        self._statements.append(str(sql))
        return self._conn.query(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._conn.__exit__(*exc)


STATEMENTS: list[str] = []


class RecordingDuckDB(DuckDBResource):
    """The course's DuckDB resource, recording the SQL every connection runs."""

    @contextlib.contextmanager
    def get_connection(self):
        with super().get_connection() as conn:
            yield RecordingConnection(conn, STATEMENTS)


@pytest.mark.section("Step 5: the request sensor")
def test_request_values_travel_as_bound_parameters(defs, database, duckdb_path):
    """the request's product and department reach DuckDB as bound parameters, never
    pasted into the SQL text."""
    ingest(defs, database)
    product = "Zoe's quoted pick"
    STATEMENTS.clear()
    result = request_run(
        defs,
        RecordingDuckDB(database=str(duckdb_path)),
        {"department": "Enterprise", "product": product,
         "start_date": "2024-01-01", "end_date": "2024-07-01"},
    )  # fmt: skip
    assert result.success, "the request failed"
    assert STATEMENTS, "adhoc_request ran no SQL through the database resource's connection"
    pasted = [sql for sql in STATEMENTS if "Zoe" in sql or "Enterprise" in sql]
    assert not pasted, (
        "the request's values are pasted into the SQL text (even with quotes escaped): pass "
        f"them as bound parameters (?): {' '.join(pasted[0].split())[:80]!r}"
    )


TABLES = [
    "products", "sales_reps", "sales_data", "joined_data",
    "monthly_sales_performance", "product_performance",
]  # fmt: skip


def build_everything(definitions: dg.Definitions, path: Path) -> dict[str, list[tuple]]:
    """Materialize every table and partition into the DuckDB file `path`; return the tables."""
    database = {"database": DuckDBResource(database=str(path))}
    with runs.scratch_instance(path.with_suffix(".home")) as instance:
        runs.materialize(definitions, INGESTION, resources=database, instance=instance)
        for asset, keys in [
            ("monthly_sales_performance", MONTHS),
            ("product_performance", CATEGORIES),
        ]:
            for key in keys:
                runs.materialize(
                    definitions, [asset], resources=database, partition_key=key, instance=instance
                )
    return {
        table: warehouse.fetch(f"select * from {table} order by all", database=path)
        for table in TABLES
    }


@pytest.mark.section("Step 1: the project in one file")
@pytest.mark.solution_only
def test_before_and_after_build_the_same_tables(defs, tmp_path):
    """the one-file project and the organized one build the same tables."""
    from dagster_and_etl.lesson_8.before import defs as before

    after_tables = build_everything(defs, tmp_path / "after.duckdb")
    assert build_everything(before, tmp_path / "before.duckdb") == after_tables
    assert all(after_tables.values())


def defined_in(definition) -> str:
    """The module a definition's own function was written in."""
    if isinstance(definition, dg.AssetsDefinition | dg.AssetChecksDefinition):
        function = definition.op.compute_fn
        function = getattr(function, "decorated_fn", function)
    else:  # a sensor: the function it was decorated from
        function = definition._raw_fn
    return getattr(function, "__module__", "")


@pytest.mark.section("Step 6: one wiring point")
def test_no_definition_comes_from_the_one_file_project(defs):
    """every asset, check and sensor of lesson 8 lives in the organized modules, and
    definitions.py only wires them (nothing is served from before.py any more)"""
    definitions = [*(defs.assets or []), *(defs.asset_checks or []), *(defs.sensors or [])]
    still_in_before = sorted(
        d.op.name if isinstance(d, dg.AssetsDefinition | dg.AssetChecksDefinition) else d.name
        for d in definitions
        if defined_in(d).endswith(".before")
    )
    assert not still_in_before, (
        f"{', '.join(still_in_before)} still come from before.py: move them into the modules "
        "of your lesson_8 folder and list them in definitions.py"
    )
