"""BEFORE the refactor: the whole sales project in one file.

It works, and it builds exactly the tables the organized project builds (a test
checks), but every concern lives here at once: data loading, joins, analysis,
partitions, the ad-hoc request, its sensor, the schedule and the wiring.
Lesson 8 takes it apart into modules. Your workspace (dagster_and_etl/defs/lesson_8/)
starts with a copy of this file; the completed code's modules sit next to this one.
"""

import datetime as dt
import json

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import field_validator, model_validator

from dagster_and_etl.course import settings
from dagster_and_etl.course.sales_data import CATEGORIES, DEPARTMENTS
from dagster_and_etl.course.warehouse import table_metadata, transaction

monthly_partition = dg.MonthlyPartitionsDefinition(start_date="2024-01-01", end_date="2024-07-01")
product_category_partition = dg.StaticPartitionsDefinition(list(CATEGORIES))


@dg.asset(kinds={"duckdb"}, group_name="ingestion")
def products(database: DuckDBResource) -> dg.MaterializeResult:
    path = settings.sales_dir() / "products.csv"
    with database.get_connection() as conn:
        with transaction(conn, f"load {path} into products"):
            conn.execute(
                "create or replace table products as select * from read_csv(?)", [str(path)]
            )
        return dg.MaterializeResult(metadata=table_metadata(conn, "products"))


@dg.asset(kinds={"duckdb"}, group_name="ingestion")
def sales_reps(database: DuckDBResource) -> dg.MaterializeResult:
    path = settings.sales_dir() / "sales_reps.csv"
    with database.get_connection() as conn:
        with transaction(conn, f"load {path} into sales_reps"):
            conn.execute(
                "create or replace table sales_reps as select * from read_csv(?)", [str(path)]
            )
        return dg.MaterializeResult(metadata=table_metadata(conn, "sales_reps"))


@dg.asset(kinds={"duckdb"}, group_name="ingestion")
def sales_data(database: DuckDBResource) -> dg.MaterializeResult:
    path = settings.sales_dir() / "sales_data.csv"
    with database.get_connection() as conn:
        with transaction(conn, f"load {path} into sales_data"):
            conn.execute(
                "create or replace table sales_data as select * from read_csv(?)", [str(path)]
            )
        return dg.MaterializeResult(metadata=table_metadata(conn, "sales_data"))


@dg.asset(deps=[sales_data, sales_reps, products], kinds={"duckdb"}, group_name="joins")
def joined_data(database: DuckDBResource) -> dg.MaterializeResult:
    with database.get_connection() as conn:
        conn.execute(
            """
            create or replace view joined_data as
            select s.order_id, s.date, s.dollar_amount, s.customer_name, s.quantity,
                   r.rep_name, r.department, r.hire_date,
                   p.product_name, p.category, p.price
            from sales_data s
            left join sales_reps r on r.rep_id = s.rep_id
            left join products p on p.product_id = s.product_id
            """
        )
        return dg.MaterializeResult(metadata=table_metadata(conn, "joined_data"))


@dg.asset_check(asset=joined_data)
def missing_dimension_check(database: DuckDBResource) -> dg.AssetCheckResult:
    with database.get_connection() as conn:
        missing = conn.execute(
            "select count(*) from joined_data where rep_name is null or product_name is null"
        ).fetchone()[0]
    return dg.AssetCheckResult(passed=missing == 0, metadata={"sales_missing_a_dimension": missing})


@dg.asset(
    deps=[joined_data],
    partitions_def=monthly_partition,
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"duckdb"},
    group_name="analysis",
)
def monthly_sales_performance(context: dg.AssetExecutionContext, database: DuckDBResource):
    month = context.partition_key[:7]
    with database.get_connection() as conn:
        conn.execute(
            "create table if not exists monthly_sales_performance (month varchar, "
            "rep_name varchar, product_name varchar, total_dollar_amount double)"
        )
        with transaction(conn, f"rebuild {month} of monthly_sales_performance"):
            conn.execute("delete from monthly_sales_performance where month = ?", [month])
            conn.execute(
                "insert into monthly_sales_performance "
                "select ?, rep_name, product_name, sum(dollar_amount) from joined_data "
                "where strftime(date, '%Y-%m') = ? group by all",
                [month, month],
            )
        return dg.MaterializeResult(
            metadata=table_metadata(
                conn, "monthly_sales_performance", where="month = ?", params=[month]
            )
        )


@dg.asset(
    deps=[joined_data],
    partitions_def=product_category_partition,
    automation_condition=dg.AutomationCondition.eager(),
    kinds={"duckdb"},
    group_name="analysis",
)
def product_performance(context: dg.AssetExecutionContext, database: DuckDBResource):
    category = context.partition_key
    with database.get_connection() as conn:
        conn.execute(
            "create table if not exists product_performance (category varchar, "
            "product_name varchar, total_dollar_amount double, total_units_sold bigint)"
        )
        with transaction(conn, f"rebuild {category} of product_performance"):
            conn.execute("delete from product_performance where category = ?", [category])
            conn.execute(
                "insert into product_performance "
                "select ?, product_name, sum(dollar_amount), sum(quantity) from joined_data "
                "where category = ? group by all",
                [category, category],
            )
        return dg.MaterializeResult(
            metadata=table_metadata(
                conn, "product_performance", where="category = ?", params=[category]
            )
        )


class AdhocRequestConfig(dg.Config):
    department: str
    product: str
    start_date: str
    end_date: str

    @field_validator("department")
    @classmethod
    def known_department(cls, value: str) -> str:
        if value not in DEPARTMENTS:
            raise ValueError(f"department must be one of {', '.join(DEPARTMENTS)}; got {value!r}")
        return value

    @field_validator("start_date", "end_date")
    @classmethod
    def iso_date(cls, value: str) -> str:
        dt.date.fromisoformat(value)
        return value

    @model_validator(mode="after")
    def start_before_end(self) -> "AdhocRequestConfig":
        if self.start_date >= self.end_date:
            raise ValueError("start_date must be before end_date")
        return self


@dg.asset(deps=[joined_data], kinds={"duckdb"}, group_name="requests")
def adhoc_request(config: AdhocRequestConfig, database: DuckDBResource) -> dg.MaterializeResult:
    with database.get_connection() as conn:
        conn.execute(
            "create or replace temp table adhoc_result as "
            "select department, rep_name, product_name, sum(dollar_amount) as total_sales "
            "from joined_data where date >= ?::date and date < ?::date "
            "and department = ? and product_name = ? group by all order by total_sales desc",
            [config.start_date, config.end_date, config.department, config.product],
        )
        metadata = table_metadata(conn, "adhoc_result")
    return dg.MaterializeResult(metadata={**metadata, "request": config.model_dump()})


weekly_update_job = dg.define_asset_job(
    "weekly_update_job", selection=dg.AssetSelection.assets(joined_data).upstream()
)
weekly_update_schedule = dg.ScheduleDefinition(
    job=weekly_update_job, cron_schedule="0 0 * * 1", execution_timezone="UTC"
)
adhoc_request_job = dg.define_asset_job("adhoc_request_job", selection=[adhoc_request])


@dg.sensor(job=adhoc_request_job, minimum_interval_seconds=30)
def adhoc_request_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    seen = json.loads(context.cursor) if context.cursor else {}
    current = {}
    run_requests = []
    for path in sorted((settings.sales_dir() / "requests").glob("*.json")):
        modified = path.stat().st_mtime_ns
        current[path.name] = modified
        if seen.get(path.name) != modified:
            run_requests.append(
                dg.RunRequest(
                    run_key=f"{path.name}:{modified}",
                    run_config={"ops": {"adhoc_request": {"config": json.loads(path.read_text())}}},
                )
            )
    return dg.SensorResult(run_requests=run_requests, cursor=json.dumps(current))


defs = dg.Definitions(
    assets=[
        products,
        sales_reps,
        sales_data,
        joined_data,
        monthly_sales_performance,
        product_performance,
        adhoc_request,
    ],
    asset_checks=[missing_dimension_check],
    jobs=[weekly_update_job, adhoc_request_job],
    schedules=[weekly_update_schedule],
    sensors=[adhoc_request_sensor],
    resources={"database": DuckDBResource(database=str(settings.duckdb_database()))},
)
