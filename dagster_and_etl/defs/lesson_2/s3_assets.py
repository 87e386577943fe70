import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_and_etl.course.workspace import todo


class IngestionFileS3Config(dg.Config):
    bucket: str = Field(description="The S3 bucket, for example dagster-and-etl")
    path: str = Field(
        description="The object's key inside the bucket, for example shares/2018-01-22.csv"
    )


@dg.asset(kinds={"s3"})
def import_file_s3(context: dg.AssetExecutionContext, config: IngestionFileS3Config) -> str:
    """The S3 URI of the object named in run config, once S3 has confirmed it exists."""
    # TODO: check that the object exists (require_object from
    # dagster_and_etl.course.object_store fails with a message naming the bucket
    # and the key), then return its s3:// URI.
    raise todo(2, "import_file_s3", "Step 6: the same pipeline on cloud storage")


@dg.asset_check(
    asset=import_file_s3,
    blocking=True,
    description="Every row has a share price above zero; otherwise nothing downstream loads.",
)
def invalid_share_price_s3(
    context: dg.AssetCheckExecutionContext, import_file_s3: str
) -> dg.AssetCheckResult:
    # TODO: the rule of invalid_share_price, on the object in S3: an in-memory
    # DuckDB connection that duckdb_use_s3() has prepared can read the URI. Write
    # the rule once (a function in checks.py) and call it from both checks.
    raise todo(2, "invalid_share_price_s3", "Step 6: the same pipeline on cloud storage")


@dg.asset(kinds={"duckdb"})
def duckdb_table_s3(
    context: dg.AssetExecutionContext, database: DuckDBResource, import_file_s3: str
) -> dg.MaterializeResult:
    """The object's rows in the DuckDB table raw_s3_data, loaded the same way as raw_data."""
    # TODO: prepare the connection for S3 (duckdb_use_s3), then load the object
    # into raw_s3_data the way duckdb_table loads a local file.
    raise todo(2, "duckdb_table_s3", "Step 6: the same pipeline on cloud storage")
