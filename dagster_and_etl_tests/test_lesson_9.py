"""Lesson 9: a dbt project builds the marts from lesson 6's Sling copies, inside DuckDB."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from dagster_and_etl.course import locations, runs, warehouse
from dagster_and_etl.course.workspace import NotWrittenYet

PAGE = "lessons/lesson_9_dbt.md"
TABLES = ["customers", "orders", "products"]
SLING_KEYS = [dg.AssetKey(["target", "data", table]) for table in TABLES]
STAGING = [f"stg_{table}" for table in TABLES]
MARTS = ["category_monthly_revenue", "customer_monthly_revenue", "fct_orders"]


@pytest.fixture
def defs(load_lesson, postgres, duckdb_path, tmp_path, monkeypatch) -> dg.Definitions:
    # dbt writes each run's artifacts and logs under DBT_TARGET_PATH: keep them here.
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    return load_lesson(9)


@dataclass
class SeededBuild:
    result: dg.ExecuteInProcessResult
    duckdb_path: Path


@pytest.fixture(scope="module")
def seeded_build(target, postgres_server, tmp_path_factory) -> SeededBuild:
    """One full build from the freshly seeded shop, made once for this file.

    The checks that only read what a first build made share it; the checks that
    build again start from a copy of its DuckDB file (`start_from`). A dbt build
    costs seconds of start-up and parsing, so this saves four of them.
    """
    folder = tmp_path_factory.mktemp("lesson_9_seeded_build")
    with pytest.MonkeyPatch.context() as patch:
        environment = {
            **postgres_server.settings.environment(),
            "DUCKDB_DATABASE": str(folder / "warehouse.duckdb"),
            "COURSE_STAGING_DIR": str(folder / "staging"),
            "DBT_TARGET_PATH": str(folder / "dbt_target"),
            "SLING_HOME_DIR": str(folder / "sling_home"),
        }
        for name, value in environment.items():
            patch.setenv(name, value)
        postgres_server.seed()
        result = build(locations.load_lesson(9, target))
    return SeededBuild(result, folder / "warehouse.duckdb")


def start_from(seeded_build: SeededBuild, duckdb_path: Path) -> None:
    """This test's DuckDB file becomes a copy of what the first build made."""
    shutil.copyfile(seeded_build.duckdb_path, duckdb_path)


def everything(defs: dg.Definitions) -> list[str]:
    """Every asset the lesson can materialize: the Sling copies and every dbt node."""
    graph = defs.resolve_asset_graph()
    return sorted(key.to_user_string() for key in graph.materializable_asset_keys)


def build(defs: dg.Definitions, selection=None, **kwargs) -> dg.ExecuteInProcessResult:
    """Replicate and `dbt build`; a dbt model still at its TODO says so, like a Python stub."""
    result = runs.materialize(defs, selection or everything(defs), raise_on_error=False, **kwargs)
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None)
        text = error.to_string() if error is not None else ""
        if "is not written yet" in text:
            line = next(li for li in text.splitlines() if "is not written yet" in li)
            raise NotWrittenYet(line[line.index("Lesson 9:") :].strip())
    return result


def table(duckdb_path, name: str) -> list[tuple]:
    return warehouse.fetch(f"select * from {name} order by all", database=duckdb_path)


def postgres_rows(postgres, sql: str) -> list[tuple]:
    with postgres.connect() as conn:
        return conn.execute(sql).fetchall()


def failed_steps(result: dg.ExecuteInProcessResult) -> str:
    """What each failed step said: dbt's own error line (such as "IO Error: ...") if any."""
    said = []
    for event in result.all_events:
        if event.is_step_failure:
            message = re.sub(r"\x1b\[[0-9;]*m", "", event.step_failure_data.error.message)
            lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
            said.append(next((line for line in lines if re.match(r"\w+ Error: ", line)), lines[0]))
    return "; ".join(said)


def checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    """{asset/check name: passed} for every check the run evaluated."""
    return {
        f"{e.asset_key.to_user_string()}/{e.check_name}": e.passed
        for e in result.get_asset_check_evaluations()
    }


@pytest.mark.section("Step 2: a profile that follows the course settings")
def test_dbt_writes_to_the_course_duckdb_file(seeded_build):
    """dbt writes its models into the DuckDB file that DUCKDB_DATABASE names, like every lesson.

    profiles.yml takes the path from env_var('DUCKDB_DATABASE'); a path written
    into the file would send this test's models somewhere else.
    """
    result = seeded_build.result
    tables = {
        name
        for (name,) in warehouse.fetch(
            "select table_name from information_schema.tables",
            database=seeded_build.duckdb_path,
        )
    }
    # The seed depends on nothing, so dbt writes it even when a model is broken: if
    # neither it nor any model is in this file, dbt wrote to another one.
    written = {*STAGING, *MARTS, "category_targets"} & tables
    said = failed_steps(result)
    if not written and re.search(r"(Compilation|Parsing) Error", said):
        pytest.fail(f"dbt stopped before writing anything: {said}")
    assert written, (
        "dbt wrote none of its models or its seed into the DuckDB file DUCKDB_DATABASE "
        "names: profiles.yml must take its path from env_var('DUCKDB_DATABASE')"
    )


def first_difference(found: list[tuple], expected: list[tuple], columns: str) -> str:
    """The first row where two sorted result sets differ, in words."""
    found_by_key = {row[:2]: row for row in found}
    for row in expected:
        have = found_by_key.get(row[:2])
        if have != row:
            return (
                f"for {row[:2]} ({columns}) the orders in Postgres give {row[2:]}, "
                f"found {have[2:] if have else 'no row'}"
            )
    extra = sorted(set(found_by_key) - {row[:2] for row in expected})
    return f"rows that no order implies: {extra[:3]}"


@pytest.mark.section("Step 1: a tour of the dbt project")
def test_marts_hold_what_the_source_rows_imply(seeded_build, postgres):
    """Each customer's and category's monthly revenue equals the sum of quantity times price
    over their orders in Postgres, and every dbt test passes on the course's data."""
    result, duckdb_path = seeded_build.result, seeded_build.duckdb_path
    assert result.success, f"the build failed: {failed_steps(result)}"
    failed = sorted(name for name, passed in checks(result).items() if not passed)
    assert checks(result) and not failed, f"dbt tests failed on the course's data: {failed}"

    expected = postgres_rows(
        postgres,
        "select o.customer_id, date_trunc('month', o.order_date)::date, count(*), "
        "sum(o.quantity * p.price) from data.orders o join data.products p using (product_id) "
        "group by 1, 2 order by 1, 2",
    )
    found = warehouse.fetch(
        "select customer_id, month, orders, revenue from customer_monthly_revenue order by 1, 2",
        database=duckdb_path,
    )
    assert found == expected, "customer_monthly_revenue: " + first_difference(
        found, expected, "customer_id, month; orders, revenue"
    )
    names = dict(
        warehouse.fetch(
            "select distinct customer_id, customer_name from customer_monthly_revenue",
            database=duckdb_path,
        )
    )
    assert names[1] == "Ada Lovelace", f"customer 1 is named {names[1]!r}, not 'Ada Lovelace'"

    by_category = postgres_rows(
        postgres,
        "select p.category, date_trunc('month', o.order_date)::date, sum(o.quantity * p.price) "
        "from data.orders o join data.products p using (product_id) group by 1, 2 order by 1, 2",
    )
    found = warehouse.fetch(
        "select category, month, revenue from category_monthly_revenue order by 1, 2",
        database=duckdb_path,
    )
    assert found == by_category, "category_monthly_revenue: " + first_difference(
        found, by_category, "category, month; revenue"
    )


@pytest.mark.section("Incremental models")
def test_a_second_build_leaves_the_same_rows(seeded_build, defs, duckdb_path):
    """Running the whole build twice leaves every dbt table exactly as one run left it."""
    start_from(seeded_build, duckdb_path)
    first = {name: table(duckdb_path, name) for name in MARTS}
    build(defs)
    for name in MARTS:
        again = table(duckdb_path, name)
        assert again == first[name], (
            f"{name} has {len(again)} rows after a second build, {len(first[name])} after the first"
        )


@pytest.mark.section("Step 5: dbt tests as asset checks")
def test_an_orphan_order_fails_its_relationships_check(defs, postgres, duckdb_path):
    """An order whose customer does not exist fails a dbt test, shown as a failed asset check
    on stg_orders, and the models downstream are not built from it."""
    with postgres.connect() as conn:
        # The shop's Postgres refuses such an order (a foreign key); many sources don't.
        conn.execute("alter table data.orders drop constraint orders_customer_id_fkey")
        conn.execute("insert into data.orders values (61, 99, 2, 1, '2024-04-02 10:00')")
    result = build(defs)
    assert not result.success, "the build succeeded with an order for customer 99, who is unknown"
    failed = sorted(name for name, passed in checks(result).items() if not passed)
    assert failed and all(name.startswith("stg_orders/") for name in failed), (
        f"expected a failed check on stg_orders for the order of unknown customer 99; "
        f"failed checks: {failed or 'none'}"
    )
    built = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "customer_monthly_revenue" not in built, "the marts were built from the orphan order"


@pytest.mark.section("Incremental models")
def test_the_incremental_model_takes_only_the_new_orders(seeded_build, defs, postgres, duckdb_path):
    """After new orders arrive, fct_orders gains exactly those rows, and rows it already held
    are not recomputed (an old order keeps the price it was loaded with)."""
    start_from(seeded_build, duckdb_path)
    before = {row[0]: row for row in table(duckdb_path, "fct_orders")}
    with postgres.connect() as conn:
        conn.execute(
            "insert into data.orders values "
            "(61, 1, 2, 1, '2024-04-02 10:00'), (62, 3, 5, 2, '2024-04-03 11:30')"
        )
        conn.execute("update data.products set price = 39.50 where product_id = 2")
    build(defs)
    after = {row[0]: row for row in table(duckdb_path, "fct_orders")}
    assert sorted(set(after) - set(before)) == [61, 62], (
        f"fct_orders gained orders {sorted(set(after) - set(before))}, expected [61, 62]"
    )
    assert len(after) == len(before) + 2
    changed = sorted(order for order in before if after[order] != before[order])
    assert not changed, (
        f"the second build recomputed old orders {changed}: is fct_orders incremental?"
    )
    assert after[61][-1] == decimal.Decimal("39.50")
    assert after[62][4] == dt.datetime(2024, 4, 3, 11, 30)


@pytest.mark.section("Lineage across tools")
def test_the_sling_copies_feed_the_staging_models(defs):
    """Each staging model depends on the Sling asset of the table it reads, so the graph is one
    lineage from Postgres through Sling into dbt."""
    graph = defs.resolve_asset_graph()
    for model, source in zip(STAGING, SLING_KEYS, strict=True):
        parents = graph.get(dg.AssetKey(model)).parent_keys
        assert source in parents, (
            f"{model} depends on {sorted(p.to_user_string() for p in parents)}, "
            f"not on {source.to_user_string()}"
        )


@pytest.mark.section("Step 4: the dbt project as assets")
def test_models_are_grouped_by_their_folder(defs):
    """The translator puts staging models in the group staging, marts in marts, the seed in
    seeds."""
    graph = defs.resolve_asset_graph()
    groups = {name: graph.get(dg.AssetKey(name)).group_name for name in [*STAGING, *MARTS]}
    groups["category_targets"] = graph.get(dg.AssetKey("category_targets")).group_name
    expected = {
        **{name: "staging" for name in STAGING},
        **{name: "marts" for name in MARTS},
        "category_targets": "seeds",
    }
    wrong = {name: group for name, group in groups.items() if group != expected[name]}
    assert not wrong, (
        f"these nodes are in the wrong group: {wrong}; staging models belong in staging, "
        "marts in marts, the seed in seeds"
    )


@pytest.mark.section("Step 4: the dbt project as assets")
def test_dbt_waits_its_turn_to_write_duckdb(defs):
    """The dbt step joins the duckdb pool, so it never writes DuckDB while Sling does."""
    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey("fct_orders"))
    assets_def = next(a for a in defs.assets if node.key in getattr(a, "keys", ()))
    assert assets_def.node_def.pool == "duckdb"


@pytest.mark.section("Step 6: schedules and jobs from dbt selections")
def test_the_schedule_and_the_job_select_the_right_models(defs):
    """The daily schedule builds every dbt node (fqn:*) at 07:00 UTC; reporting_job builds the
    three marts tagged reporting and nothing else."""
    [schedule] = [s for s in defs.schedules or [] if s.cron_schedule == "0 7 * * *"] or [None]
    assert schedule is not None, (
        f"no schedule at 07:00; found {[(s.name, s.cron_schedule) for s in defs.schedules or []]}"
    )
    graph = defs.resolve_asset_graph()
    dbt_keys = {key for key in graph.materializable_asset_keys if key not in SLING_KEYS}
    job = defs.resolve_job_def(schedule.job_name)
    assert set(job.asset_layer.selected_asset_keys) == dbt_keys
    reporting = defs.resolve_job_def("reporting_job")
    selected = {key.to_user_string() for key in reporting.asset_layer.selected_asset_keys}
    assert selected == set(MARTS)


@pytest.mark.solution_only
def test_the_component_defines_the_same_assets_and_checks(defs):
    """The dbt component in YAML gives the same assets, checks and lineage as @dbt_assets."""
    component = locations.load_defs_folder("dagster_and_etl.lesson_9.component")
    python_graph = defs.resolve_asset_graph()
    yaml_graph = component.resolve_asset_graph()
    dbt_keys = set(python_graph.materializable_asset_keys) - set(SLING_KEYS)
    assert set(yaml_graph.materializable_asset_keys) == dbt_keys
    assert set(yaml_graph.asset_check_keys) == set(python_graph.asset_check_keys)
    for key in dbt_keys:
        assert yaml_graph.get(key).parent_keys == python_graph.get(key).parent_keys, key
        assert yaml_graph.get(key).group_name == python_graph.get(key).group_name, key
