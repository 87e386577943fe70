"""Lesson 7: the Sling replication as a component gives the same tables as lesson 6."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_and_etl.course import locations, runs, warehouse

PAGE = "lessons/lesson_7_components.md"
TABLES = ["customers", "products", "orders"]


@pytest.fixture
def defs(load_lesson, postgres, duckdb_path) -> dg.Definitions:
    return load_lesson(7)


def component_keys(defs: dg.Definitions) -> dict[str, dg.AssetKey]:
    """The replicated tables' keys, found through the component's op, by table name."""
    found = {}
    for asset in defs.assets or []:
        if (
            isinstance(asset, dg.AssetsDefinition)
            and asset.node_def.name == "postgres_sling_component"
        ):
            found.update({k.path[-1]: k for k in asset.keys})
    assert set(found) == set(TABLES), (
        f"expected a Sling component with op name postgres_sling_component ({PAGE})"
    )
    return found


def tables(duckdb_path) -> dict[str, list[tuple]]:
    return {
        table: warehouse.fetch(f"select * from data_{table} order by all", database=duckdb_path)
        for table in TABLES
    }


def test_the_component_defines_the_three_tables(defs):
    keys = component_keys(defs)
    assert {key.path[-2] for key in keys.values()} == {"data"}


def test_credentials_come_from_the_environment(target):
    folder = locations.PACKAGE_DIR / ("lesson_7/defs" if target == "solution" else "defs/lesson_7")
    [path] = folder.rglob("ingest_files/defs.yaml")
    defs_yaml = path.read_text()
    for variable in ["POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_HOST", "DUCKDB_DATABASE"]:
        assert "{{ env." + variable + " }}" in defs_yaml, (
            f"take {variable} from the environment in defs.yaml "
            f"({PAGE}, 'Step 2: connections from the environment')"
        )
    assert "test_pass" not in defs_yaml


def test_the_component_replicates_like_lesson_6(
    defs, load_lesson, postgres, duckdb_path, tmp_path, monkeypatch
):
    runs.materialize(defs, [key.to_user_string() for key in component_keys(defs).values()])
    from_component = tables(duckdb_path)
    with postgres.connect() as conn:
        for table in TABLES:
            expected = sorted(conn.execute(f"select * from data.{table}").fetchall())
            assert from_component[table] == expected, table

    # Lesson 6 into a second DuckDB file: the same tables, the same rows.
    other = tmp_path / "lesson_6.duckdb"
    monkeypatch.setenv("DUCKDB_DATABASE", str(other))
    lesson_6 = locations.load_lesson(6, "solution")
    runs.materialize(lesson_6, [f"target/data/{table}" for table in TABLES])
    assert tables(other) == from_component


@pytest.mark.solution_only
def test_downstream_assets_depend_on_the_component(defs, postgres, duckdb_path):
    keys = component_keys(defs)
    graph = defs.resolve_asset_graph()
    assert set(keys.values()) <= graph.get(dg.AssetKey("order_details")).parent_keys
    runs.materialize(
        defs, [*(k.to_user_string() for k in keys.values()), "order_details", "revenue_by_category"]
    )
    assert warehouse.fetch("select count(*) from order_details", database=duckdb_path) == [(60,)]


def test_an_incremental_rerun_adds_only_new_orders(defs, postgres, duckdb_path):
    orders = component_keys(defs)["orders"].to_user_string()
    runs.materialize(defs, [orders])
    with postgres.connect() as conn:
        conn.execute("insert into data.orders values (61, 2, 3, 1, '2024-05-01 09:00')")
    runs.materialize(defs, [orders])
    runs.materialize(defs, [orders])
    assert warehouse.fetch("select count(*) from data_orders", database=duckdb_path) == [(61,)]
