import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_and_etl.course.workspace import todo


class IngestionFileS3Config(dg.Config):
    bucket: str = Field(description="The S3 bucket, for example my-company-landing")
    path: str = Field(
        description="The object's key inside the bucket, for example shares/2018-01-22.csv"
    )


@dg.asset(kinds={"s3"})
def import_file_s3(config: IngestionFileS3Config) -> str:
    """The S3 URI of the object named in run config."""
    # TODO: return the s3:// URI built from the bucket and the path.
    raise todo(2, "import_file_s3", "Step 6: the same pipeline on cloud storage")


@dg.asset(kinds={"duckdb"})
def duckdb_table_s3(database: DuckDBResource, import_file_s3: str) -> dg.MaterializeResult:
    """The object's rows in the DuckDB table raw_s3_data, loaded the same way as raw_data."""
    # TODO: load the object into raw_s3_data the way duckdb_table loads a local file.
    raise todo(2, "duckdb_table_s3", "Step 6: the same pipeline on cloud storage")
