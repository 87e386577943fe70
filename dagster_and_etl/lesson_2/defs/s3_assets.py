import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_and_etl.course.warehouse import table_metadata

from .assets import replace_rows_from_file


class IngestionFileS3Config(dg.Config):
    bucket: str = Field(description="The S3 bucket, for example my-company-landing")
    path: str = Field(
        description="The object's key inside the bucket, for example shares/2018-01-22.csv"
    )


@dg.asset(kinds={"s3"})
def import_file_s3(config: IngestionFileS3Config) -> str:
    """The S3 URI of the object named in run config."""
    return f"s3://{config.bucket}/{config.path.lstrip('/')}"


@dg.asset(kinds={"duckdb"})
def duckdb_table_s3(database: DuckDBResource, import_file_s3: str) -> dg.MaterializeResult:
    """The object's rows in the DuckDB table raw_s3_data, loaded the same way as raw_data."""
    with database.get_connection() as conn:
        # httpfs lets DuckDB read s3:// URIs; credentials come from the usual
        # AWS environment variables or profile through the credential chain.
        conn.execute("load httpfs")
        conn.execute("create secret if not exists course_s3 (type s3, provider credential_chain)")
        loaded = replace_rows_from_file(conn, "raw_s3_data", import_file_s3)
        metadata = table_metadata(conn, "raw_s3_data")
    return dg.MaterializeResult(metadata={"rows_loaded": loaded, **metadata})
