"""Lesson 6: Sling replicates a real Postgres into DuckDB, fully and incrementally."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from dagster_and_etl.course import runs, sling_offline, warehouse
from dagster_and_etl.course.postgres import free_port
from dagster_and_etl_tests.conftest import literal_secrets

PAGE = "lessons/lesson_6_sling.md"
TABLES = ["customers", "products", "orders"]


@pytest.fixture
def defs(load_lesson, postgres, duckdb_path) -> dg.Definitions:
    # Loaded after POSTGRES_* and DUCKDB_DATABASE point at this test's server and file.
    return load_lesson(6)


def key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["target", "data", table])


def sling_keys(defs) -> list[str]:
    return [key(table).to_user_string() for table in TABLES]


def postgres_rows(postgres, table: str) -> list[tuple]:
    with postgres.connect() as conn:
        return conn.execute(f"select * from data.{table} order by 1").fetchall()


def duckdb_rows(duckdb_path, table: str) -> list[tuple]:
    return warehouse.fetch(f"select * from data_{table} order by 1", database=duckdb_path)


def replicate(defs, selection=None, **kwargs) -> dg.ExecuteInProcessResult:
    return runs.materialize(defs, selection or sling_keys(defs), **kwargs)


@pytest.mark.section("Sling without the internet")
def test_the_duckdb_cli_sling_uses_matches_the_python_package():
    """the DuckDB command Sling uses is the same version as the duckdb package."""
    import duckdb

    cli = sling_offline.duckdb_cli()
    assert cli is not None, "the duckdb-cli package should install a duckdb command"
    assert sling_offline.cli_version(cli) == duckdb.__version__
    assert sling_offline.sling_binary() is not None


@pytest.mark.section("Step 4: Sling assets")
def test_full_refresh_copies_every_row(defs, postgres, duckdb_path):
    """a full replication copies every row of customers, products and orders."""
    result = replicate(defs)
    for table in TABLES:
        assert duckdb_rows(duckdb_path, table) == postgres_rows(postgres, table), table
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {key(table) for table in TABLES}


@pytest.mark.section("Step 3: the replication file")
def test_incremental_orders_bring_only_new_and_changed_rows(defs, postgres, duckdb_path):
    """an incremental orders run brings only new and changed rows."""
    replicate(defs)
    with postgres.connect() as conn:
        conn.execute(
            "insert into data.orders values "
            "(61, 1, 2, 1, '2024-04-02 10:00'), (62, 3, 5, 2, '2024-04-03 11:30')"
        )
        conn.execute(
            "update data.orders set quantity = 9, order_date = '2024-04-04' where order_id = 7"
        )
        # A change that keeps an old order_date is invisible to an incremental copy:
        conn.execute("update data.orders set quantity = 5 where order_id = 8")

    replicate(defs, [key("orders").to_user_string()])
    listed = duckdb_rows(duckdb_path, "orders")
    rows = {row[0]: row for row in listed}
    assert len(listed) == len(rows), (
        f"orders holds {len(listed) - len(rows)} duplicated order_id(s) after the incremental "
        "run: give the stream a primary_key to upsert on"
    )
    assert len(rows) == 62, f"orders holds {len(rows)} orders after 2 were added to 60, not 62"
    assert rows[61][4] == dt.datetime(2024, 4, 2, 10, 0), "the new order 61 was not copied"
    assert rows[7][3] == 9 and rows[7][4] == dt.datetime(2024, 4, 4), (
        f"order 7, changed with a new order_date, holds quantity {rows[7][3]}, not 9: the "
        "incremental run did not bring the changed row (its primary_key and update_key)"
    )
    # The documented blind spot of incremental-by-timestamp: a change that keeps its old
    # order_date is not copied. If it is, the run copied everything again.
    assert rows[8][3] != 5, (
        "order 8, changed without a new order_date, was copied too: the run is not "
        "incremental on order_date (the stream's update_key)"
    )

    before = duckdb_rows(duckdb_path, "orders")
    replicate(defs, [key("orders").to_user_string()])
    assert duckdb_rows(duckdb_path, "orders") == before, (
        "a second incremental run with nothing new changed the orders table"
    )


@pytest.mark.section("Step 3: the replication file")
def test_a_column_added_at_the_source_reaches_the_incremental_copy(defs, postgres, duckdb_path):
    """Lesson 6, Step 3: what Sling does when the source table gains a column."""
    replicate(defs)
    with postgres.connect() as conn:
        conn.execute("alter table data.orders add column coupon text")
        conn.execute(
            "insert into data.orders (order_id, customer_id, product_id, quantity, order_date, "
            "coupon) values (63, 1, 2, 1, '2024-04-05 09:00', 'SPRING')"
        )
    replicate(defs, [key("orders").to_user_string()])
    columns = [
        name
        for (name,) in warehouse.fetch(
            "select column_name from information_schema.columns "
            "where table_name = 'data_orders' order by ordinal_position",
            database=duckdb_path,
        )
    ]
    assert "coupon" in columns
    coupons = dict(
        warehouse.fetch("select order_id, coupon from data_orders", database=duckdb_path)
    )
    assert coupons[63] == "SPRING"
    assert coupons[1] is None  # rows copied before the column existed stay null


@pytest.mark.section("Step 5: downstream assets")
def test_downstream_assets_read_the_replicated_tables(defs, postgres, duckdb_path):
    """order_details and revenue_by_category are computed from the replicated tables."""
    replicate(defs, [*sling_keys(defs), "order_details", "revenue_by_category"])
    details = warehouse.fetch(
        "select count(*), sum(order_value) from order_details", database=duckdb_path
    )
    with postgres.connect() as conn:
        expected = conn.execute(
            "select count(*), sum(o.quantity * p.price) from data.orders o "
            "join data.products p using (product_id)"
        ).fetchone()
    assert details == [expected]
    revenue = warehouse.fetch("select sum(revenue) from revenue_by_category", database=duckdb_path)
    assert revenue == [(expected[1],)]
    graph = defs.resolve_asset_graph()
    assert key("orders") in graph.get(dg.AssetKey("order_details")).parent_keys


@pytest.mark.section("Step 6: jobs and schedules")
def test_jobs_and_schedules(defs, postgres, duckdb_path):
    """postgres_refresh_job at 06:00 copies every table; orders_refresh_job at 12:00 and
    18:00 copies orders."""
    full = defs.resolve_job_def("postgres_refresh_job")
    orders = defs.resolve_job_def("orders_refresh_job")
    assert set(full.asset_layer.selected_asset_keys) == {key(t) for t in TABLES}
    assert set(orders.asset_layer.selected_asset_keys) == {key("orders")}
    crons = {s.job_name: s.cron_schedule for s in defs.schedules}
    assert crons == {"postgres_refresh_job": "0 6 * * *", "orders_refresh_job": "0 12,18 * * *"}

    result = orders.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert len(duckdb_rows(duckdb_path, "orders")) == 60
    assert not warehouse.fetch(
        "select * from information_schema.tables where table_name = 'data_customers'",
        database=duckdb_path,
    )
    assert defs.resolve_job_def("postgres_refresh_job").execute_in_process().success
    assert len(duckdb_rows(duckdb_path, "customers")) == len(postgres_rows(postgres, "customers"))


@pytest.mark.section("Step 4: Sling assets")
def test_postgres_down_says_how_to_start_it(load_lesson, postgres, duckdb_path, monkeypatch):
    """with Postgres down, the step checks first and fails before Sling starts, saying
    Postgres is not reachable and to run `course postgres start`."""
    monkeypatch.setenv("POSTGRES_PORT", str(free_port()))  # nothing listens there
    defs = load_lesson(6)
    result = replicate(defs, raise_on_error=False)
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.to_string()
    assert "course postgres start" in message
    # The course's Sling resource explains a refused connection too, but only after
    # Sling has started; require_reachable's words show the check ran first.
    assert "is not reachable" in message, (
        "check Postgres with require_reachable before running Sling"
    )
    assert not duckdb_path.exists()


@pytest.mark.section("Step 2: Sling connections as resources")
def test_no_secret_is_written_into_the_resources(defs):
    """every password, token or connection string in the resources comes from the
    environment (dg.EnvVar), none is written into the code."""
    literal = [
        where for name, resource in (defs.resources or {}).items()
        for where in literal_secrets(resource, name)
    ]  # fmt: skip
    assert not literal, (
        f"{', '.join(literal)} is written into the code: read it with dg.EnvVar(...) "
        "from the environment (.env.example holds the course defaults)"
    )


@pytest.mark.section("Step 3: the replication file")
def test_a_changed_order_is_upserted_not_duplicated(defs, postgres, duckdb_path):
    """after an existing order changes, an incremental run leaves one row per order_id,
    holding the new values."""
    replicate(defs)
    with postgres.connect() as conn:
        conn.execute(
            "update data.orders set quantity = 7, order_date = '2024-05-02 08:00' "
            "where order_id in (3, 12)"
        )
    replicate(defs, [key("orders").to_user_string()])
    replicate(defs, [key("orders").to_user_string()])
    counts = warehouse.fetch(
        "select order_id, count(*) from data_orders group by 1 having count(*) > 1 order by 1",
        database=duckdb_path,
    )
    assert counts == [], (
        f"order_id {counts[0][0] if counts else ''} has {counts[0][1] if counts else 0} rows "
        "after an update and an incremental run: give the stream a primary_key to upsert on"
    )
    changed = warehouse.fetch(
        "select order_id, quantity from data_orders where order_id in (3, 12) order by 1",
        database=duckdb_path,
    )
    assert changed == [(3, 7), (12, 7)], f"the changed orders read {changed}, not quantity 7"
    total = warehouse.fetch("select count(*) from data_orders", database=duckdb_path)[0][0]
    assert total == len(postgres_rows(postgres, "orders")), (
        f"data_orders holds {total} rows for {len(postgres_rows(postgres, 'orders'))} orders"
    )


@pytest.mark.section("Step 4: Sling assets")
def test_the_replication_writes_through_the_duckdb_pool(defs):
    """the Sling step and the downstream assets write to DuckDB through the duckdb pool."""
    for asset_key in [key("orders"), dg.AssetKey("order_details")]:
        pool = defs.resolve_assets_def(asset_key).op.pool
        assert pool == "duckdb", (
            f"{asset_key.to_user_string()} runs in the pool {pool!r}, not 'duckdb': two steps "
            "could write to the DuckDB file at once"
        )
