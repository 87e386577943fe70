"""Lesson 8 (capstone): the sales project, organized, checked on its tables."""

from __future__ import annotations

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


def test_ingestion_loads_every_row(defs, database, duckdb_path, sales_dir):
    ingest(defs, database)
    for table in ["products", "sales_reps", "sales_data"]:
        count = warehouse.fetch(f"select count(*) from {table}", database=duckdb_path)[0][0]
        assert count == len(csv_rows(sales_dir / f"{table}.csv")), table
    total = sum(float(row["dollar_amount"]) for row in csv_rows(sales_dir / "sales_data.csv"))
    loaded = warehouse.fetch("select sum(dollar_amount) from sales_data", database=duckdb_path)
    assert loaded[0][0] == pytest.approx(total)


def test_joined_data_keeps_every_sale_and_names_its_rep_and_product(defs, database, duckdb_path):
    ingest(defs, database)
    joined = warehouse.fetch(
        "select order_id, rep_name, product_name from joined_data order by order_id",
        database=duckdb_path,
    )
    sales = warehouse.fetch("select count(*) from sales_data", database=duckdb_path)[0][0]
    assert len(joined) == sales
    row = warehouse.fetch(
        "select rep_name, product_name, category from joined_data where order_id = 1",
        database=duckdb_path,
    )
    assert row == [("Amara Okafor", "Wool socks", "Clothing")]


def test_the_check_finds_the_orphans_and_passes_without_them(
    defs, database, duckdb_path, sales_dir
):
    sales = csv_rows(sales_dir / "sales_data.csv")
    orphans = [
        r for r in sales
        if int(r["rep_id"]) == ORPHAN_REP_ID or int(r["product_id"]) == ORPHAN_PRODUCT_ID
    ]  # fmt: skip
    evaluation = dimension_check(ingest(defs, database))
    assert evaluation.passed is False
    assert evaluation.metadata["sales_missing_a_dimension"].value == len(orphans) == 5

    with (sales_dir / "sales_data.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(sales[0]))
        writer.writeheader()
        writer.writerows(r for r in sales if r not in orphans)
    assert dimension_check(ingest(defs, database)).passed is True


def monthly(duckdb_path) -> dict[str, float]:
    rows = warehouse.fetch(
        "select month, sum(total_dollar_amount) from monthly_sales_performance group by 1",
        database=duckdb_path,
    )
    return {month: round(total, 2) for month, total in rows}


def test_each_month_holds_its_slice_and_survives_a_rerun(defs, database, duckdb_path, instance):
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
    assert monthly(duckdb_path) == expected
    before = warehouse.fetch(
        "select * from monthly_sales_performance order by all", database=duckdb_path
    )
    runs.materialize(
        defs, ["monthly_sales_performance"], resources={"database": database},
        partition_key="2024-03-01", instance=instance,
    )  # fmt: skip
    after = warehouse.fetch(
        "select * from monthly_sales_performance order by all", database=duckdb_path
    )
    assert after == before


def test_each_category_holds_its_slice(defs, database, duckdb_path, instance):
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
    assert got == expected and set(got) == set(CATEGORIES)


def test_analysis_assets_are_partitioned_and_eager(defs):
    graph = defs.resolve_asset_graph()
    monthly_node = graph.get(dg.AssetKey("monthly_sales_performance"))
    assert monthly_node.partitions_def.get_partition_keys() == MONTHS
    category_node = graph.get(dg.AssetKey("product_performance"))
    assert set(category_node.partitions_def.get_partition_keys()) == set(CATEGORIES)
    for node in (monthly_node, category_node):
        assert node.automation_condition is not None, f"use eager automation ({PAGE})"


def test_every_asset_reports_row_count_and_preview(defs, database):
    result = ingest(defs, database)
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        assert "dagster/row_count" in metadata and "preview" in metadata, event.asset_key


def request_run(defs, database, request: dict, **kwargs):
    return runs.materialize(
        defs, ["adhoc_request"], resources={"database": database},
        run_config={"ops": {"adhoc_request": {"config": request}}}, **kwargs,
    )  # fmt: skip


def test_adhoc_request_answers_from_bound_parameters(defs, database, duckdb_path):
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
    assert event.materialization.metadata["dagster/row_count"].value == expected


@pytest.mark.parametrize(
    "product",
    ["Daniel O'Brien's pick", "x' or '1'='1", "'; drop table sales_data; --"],
)
def test_a_malicious_request_is_treated_as_data(defs, database, duckdb_path, product):
    ingest(defs, database)
    before = warehouse.fetch("select count(*) from sales_data", database=duckdb_path)
    request = {"department": "Enterprise", "product": product}
    result = request_run(
        defs, database, {**request, "start_date": "2024-01-01", "end_date": "2024-07-01"}
    )
    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["dagster/row_count"].value == 0
    assert warehouse.fetch("select count(*) from sales_data", database=duckdb_path) == before


def test_a_bad_request_is_refused(defs, database):
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


def test_the_sensor_runs_new_and_changed_requests_once(defs, sales_dir):
    requests = sales_dir / "requests"
    sample = (sales_dir / "sample_request" / "request.json").read_text()
    (requests / "first.json").write_text(sample)
    (requests / "notes.txt").write_text("not a request")

    first = sensor_tick(defs)
    assert [r.tags.get("request_file") or r.run_key for r in first.run_requests][0].startswith(
        "first.json"
    )
    assert len(first.run_requests) == 1
    assert first.run_requests[0].run_config["ops"]["adhoc_request"]["config"] == json.loads(sample)

    quiet = sensor_tick(defs, first.cursor)
    assert quiet.run_requests == []

    (requests / "second.json").write_text(sample)
    touch(requests / "first.json", 30)  # modified
    changed = sensor_tick(defs, quiet.cursor)
    assert sorted(r.run_key.split(":")[0] for r in changed.run_requests) == [
        "first.json",
        "second.json",
    ]
    assert sorted(json.loads(changed.cursor)) == ["first.json", "second.json"]
    assert sensor_tick(defs, changed.cursor).run_requests == []


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


@pytest.mark.solution_only
def test_before_and_after_build_the_same_tables(defs, tmp_path):
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
