"""Lesson 7: the Sling replication as a component gives the same tables as lesson 6."""

from __future__ import annotations

import dagster as dg
import pytest
import yaml

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


@pytest.mark.section("Step 1: scaffolding the component")
def test_the_component_defines_the_three_tables(defs):
    """the Sling component defines customers, products and orders under data."""
    keys = component_keys(defs)
    assert {key.path[-2] for key in keys.values()} == {"data"}


@pytest.mark.section("Step 2: connections from the environment")
def test_credentials_come_from_the_environment(target):
    """defs.yaml takes the Postgres user, password, host and the DuckDB file from the
    environment."""
    folder = locations.PACKAGE_DIR / ("lesson_7/defs" if target == "solution" else "defs/lesson_7")
    [path] = folder.rglob("ingest_files/defs.yaml")
    defs_yaml = path.read_text()
    for variable in ["POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_HOST", "DUCKDB_DATABASE"]:
        assert "{{ env." + variable + " }}" in defs_yaml, (
            f"defs.yaml does not read {variable} from the environment: write it as "
            '"{{ env.' + variable + ' }}"'
        )
    assert "test_pass" not in defs_yaml, "defs.yaml holds the course's Postgres password"


@pytest.mark.section("Step 3: the replication")
def test_the_component_replicates_like_lesson_6(
    defs, load_lesson, postgres, duckdb_path, tmp_path, monkeypatch
):
    """the component replicates the same rows as lesson 6's Sling assets."""
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


@pytest.mark.section("Step 4: downstream of a component")
@pytest.mark.solution_only
def test_downstream_assets_depend_on_the_component(defs, postgres, duckdb_path):
    """order_details depends on the component's tables and computes every order."""
    keys = component_keys(defs)
    graph = defs.resolve_asset_graph()
    assert set(keys.values()) <= graph.get(dg.AssetKey("order_details")).parent_keys
    runs.materialize(
        defs, [*(k.to_user_string() for k in keys.values()), "order_details", "revenue_by_category"]
    )
    assert warehouse.fetch("select count(*) from order_details", database=duckdb_path) == [(60,)]


@pytest.mark.section("Step 3: the replication")
def test_an_incremental_rerun_adds_only_new_orders(defs, postgres, duckdb_path):
    """an incremental re-run adds only the new orders."""
    orders = component_keys(defs)["orders"].to_user_string()
    runs.materialize(defs, [orders])
    with postgres.connect() as conn:
        conn.execute("insert into data.orders values (61, 2, 3, 1, '2024-05-01 09:00')")
    runs.materialize(defs, [orders])
    runs.materialize(defs, [orders])
    assert warehouse.fetch("select count(*) from data_orders", database=duckdb_path) == [(61,)]


SECRET_FIELDS = ("user", "password", "passwd", "token", "secret", "connection_string", "url")


def component_yaml(target: str) -> tuple[str, dict]:
    folder = locations.PACKAGE_DIR / ("lesson_7/defs" if target == "solution" else "defs/lesson_7")
    [path] = folder.rglob("ingest_files/defs.yaml")
    return path.relative_to(locations.PACKAGE_DIR).as_posix(), yaml.safe_load(path.read_text())


@pytest.mark.section("Step 2: connections from the environment")
def test_no_credential_is_written_into_the_component_yaml(target):
    """every connection's user, password or connection string in defs.yaml is read from
    the environment ({{ env.X }}), none is written as a literal."""
    where, document = component_yaml(target)
    connections = ((document or {}).get("attributes") or {}).get("connections") or {}
    assert connections, f"{where} declares no connections under attributes"
    literal = [
        f"connections.{name}.{field}"
        for name, connection in connections.items()
        for field, value in (connection or {}).items()
        if any(secret in field.lower() for secret in SECRET_FIELDS)
        and not ("{{" in str(value) and "env" in str(value))
    ]
    assert not literal, (
        f"{', '.join(literal)} in {where} is written as a literal: use "
        '"{{ env.POSTGRES_PASSWORD }}" and the like'
    )


@pytest.mark.section("Step 2: connections from the environment")
def test_the_component_writes_through_the_duckdb_pool(defs, target):
    """the component's step is put in the duckdb pool (op: pool: duckdb in defs.yaml)."""
    asset = next(iter(component_keys(defs).values()))
    op = defs.resolve_assets_def(asset).op
    # A step's pool is its op's pool or, equally, its dagster/concurrency_key tag.
    pools = {op.pool, op.tags.get("dagster/concurrency_key")} - {None}
    _, document = component_yaml(target)
    kind = (document or {}).get("type", "")
    if kind == "dagster_sling.SlingReplicationCollectionComponent":
        hint = (
            f"{kind} drops op: pool:; use the course kit's type, "
            "dagster_and_etl.course.sling_runs.CourseSlingComponent"
        )
    else:
        hint = f"the step is in the pools {sorted(pools)}: set op: pool: duckdb in defs.yaml"
    assert "duckdb" in pools, hint


@pytest.mark.section("Step 3: the replication")
def test_a_changed_order_is_upserted_not_duplicated(defs, postgres, duckdb_path):
    """after an existing order changes, an incremental run leaves one row per order_id,
    holding the new values."""
    orders = component_keys(defs)["orders"].to_user_string()
    runs.materialize(defs, [orders])
    with postgres.connect() as conn:
        conn.execute(
            "update data.orders set quantity = 7, order_date = '2024-05-02 08:00' "
            "where order_id in (3, 12)"
        )
    runs.materialize(defs, [orders])
    runs.materialize(defs, [orders])
    counts = warehouse.fetch(
        "select order_id, count(*) from data_orders group by 1 having count(*) > 1 order by 1",
        database=duckdb_path,
    )
    assert counts == [], (
        f"order_id {counts[0][0] if counts else ''} has {counts[0][1] if counts else 0} rows "
        "after an update and an incremental run: give the orders stream a primary_key"
    )
    changed = warehouse.fetch(
        "select order_id, quantity from data_orders where order_id in (3, 12) order by 1",
        database=duckdb_path,
    )
    assert changed == [(3, 7), (12, 7)], f"the changed orders read {changed}, not quantity 7"
