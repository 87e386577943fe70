import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field, field_validator, model_validator

from dagster_and_etl.course.sales_data import DEPARTMENTS
from dagster_and_etl.course.warehouse import table_metadata

from .joins import joined_data


class AdhocRequestConfig(dg.Config):
    department: str = Field(description=f"One of {', '.join(DEPARTMENTS)}")
    product: str = Field(description="A product name, for example Mechanical keyboard")
    start_date: str = Field(description="First day included, YYYY-MM-DD")
    end_date: str = Field(description="First day no longer included, YYYY-MM-DD")

    @field_validator("department")
    @classmethod
    def known_department(cls, value: str) -> str:
        if value not in DEPARTMENTS:
            raise ValueError(f"department must be one of {', '.join(DEPARTMENTS)}; got {value!r}")
        return value

    @field_validator("start_date", "end_date")
    @classmethod
    def iso_date(cls, value: str) -> str:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"dates must be YYYY-MM-DD; got {value!r}") from None
        return value

    @model_validator(mode="after")
    def start_before_end(self) -> "AdhocRequestConfig":
        if self.start_date >= self.end_date:
            raise ValueError("start_date must be before end_date")
        return self


@dg.asset(deps=[joined_data], kinds={"duckdb"}, group_name="requests")
def adhoc_request(config: AdhocRequestConfig, database: DuckDBResource) -> dg.MaterializeResult:
    """Sales per rep for one department, product and date range, as the request asks."""
    with database.get_connection() as conn:
        # Every value from the request travels as a bound parameter: a name with
        # a quote in it, or a piece of SQL, is compared as text and nothing else.
        conn.execute(
            """
            create or replace temp table adhoc_result as
            select department, rep_name, product_name, sum(dollar_amount) as total_sales
            from joined_data
            where date >= ?::date and date < ?::date and department = ? and product_name = ?
            group by all
            order by total_sales desc
            """,
            [config.start_date, config.end_date, config.department, config.product],
        )
        metadata = table_metadata(conn, "adhoc_result")
    return dg.MaterializeResult(metadata={**metadata, "request": config.model_dump()})
